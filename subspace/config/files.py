"""Which config file set a key, so that a config error names the file the user has to edit.

Snakemake merges the config files in order, later ones winning: the workflow's config/config.yaml
(only when no --configfile is given, see the Snakefile) and every --configfile. The Snakefile
exports their paths to the jobs in SUBSPACE_CONFIG_FILES (os.pathsep-separated), so that a job
that finds a config problem only at run time (e.g. an encoder layer the model does not have)
names the right file too.
"""
import os
from functools import lru_cache
from pathlib import Path

FILES_ENV = "SUBSPACE_CONFIG_FILES"


@lru_cache(maxsize=None)
def _load(path: str) -> dict:
    import yaml
    try:
        return yaml.safe_load(Path(path).read_text()) or {}
    except (OSError, yaml.YAMLError):
        return {}


def shown(path) -> str:
    """The path as the user typed it: relative to the working directory when it is under it."""
    p = Path(path)
    try:
        return str(p.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(p)


def env_files() -> list[str]:
    return [f for f in os.environ.get(FILES_ENV, "").split(os.pathsep) if f]


def file_of(key: str, files=None) -> str:
    """The last of ``files`` (merge order) that sets the dotted ``key`` (tasks.humor.feature_dir), else the
    last that sets its nearest parent (a missing key is added where its section is), else the last file."""
    files = [str(f) for f in (env_files() if files is None else files)]
    if not files:
        return "the config"
    parts = key.split(".")
    for depth in range(len(parts), 0, -1):
        for f in reversed(files):
            node = _load(f)
            for part in parts[:depth]:
                if not isinstance(node, dict) or part not in node:
                    break
                node = node[part]
            else:
                return shown(f)
    return shown(files[-1])
