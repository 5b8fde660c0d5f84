"""User-facing errors: the CLI prints them as one line naming the file and the problem."""


class InputError(Exception):
    """Bad input: a message that names the offending file and what is wrong with it."""

    def __init__(self, path, problem: str):
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


def config_error(key: str, problem: str) -> InputError:
    """A config problem found by a job, named by the config file that set ``key`` (see config/files.py)."""
    from .config.files import file_of
    return InputError(file_of(key), f"{key}: {problem}")
