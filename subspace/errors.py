"""User-facing errors: the CLI prints them as one line naming the file and the problem."""


class InputError(Exception):
    """Bad input: a message that names the offending file and what is wrong with it."""

    def __init__(self, path, problem: str):
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")
