"""The code a step runs, as a content hash: a rule records it as a parameter, so Snakemake reruns a step's jobs
when (and only when) the text of its step module or of a package module it imports changes.

Imports are read from the source with :mod:`ast` (every ``import``/``from`` inside the package, also those
inside functions), transitively; nothing is imported, so the workflow pays a few milliseconds per parse.
A content hash, unlike a file's modification time, ignores a checkout that only touched a file.
"""
from __future__ import annotations

import ast
import hashlib
from functools import lru_cache
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
NAME = PACKAGE.name


def module_file(module: str) -> Path | None:
    """The source file of a dotted module inside the package (``subspace.train``), else None."""
    parts = module.split(".")
    if parts[0] != NAME:
        return None
    base = PACKAGE.joinpath(*parts[1:])
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@lru_cache(maxsize=None)
def imports(path: Path) -> tuple[Path, ...]:
    """The package modules one source file imports (including its packages' ``__init__``)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    here = module_name(path).split(".")
    package = here if path.name == "__init__.py" else here[:-1]
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            root = ".".join(base + ([node.module] if node.module else []))
            names.append(root)
            names += [f"{root}.{a.name}" for a in node.names]  # `from . import train` imports a module
    found = set()
    for name in names:
        parts = name.split(".")
        for depth in range(1, len(parts) + 1):  # importing a.b.c runs a/__init__ and a/b/__init__ too
            f = module_file(".".join(parts[:depth]))
            if f is not None:
                found.add(f)
    found.discard(path)
    return tuple(sorted(found))


@lru_cache(maxsize=None)
def closure(path: Path) -> tuple[Path, ...]:
    """A module and every package module it imports, transitively."""
    seen, todo = {path}, [path]
    while todo:
        for dep in imports(todo.pop()):
            if dep not in seen:
                seen.add(dep)
                todo.append(dep)
    return tuple(sorted(seen))


def step_files(step: str) -> list[str]:
    """The files of ``subspace/steps/<step>.py``, of the command that runs it (``python -m subspace``), and
    everything they import from the package."""
    entry = module_file(f"{NAME}.steps.{step}")
    if entry is None:
        raise ValueError(f"no step module {NAME}/steps/{step}.py")
    return [str(p) for p in sorted(set(closure(entry)) | set(closure(PACKAGE / "__main__.py")))]


@lru_cache(maxsize=None)
def code_hash(step: str) -> str:
    """A short hash of the text of every file a step runs."""
    digest = hashlib.sha256()
    for f in step_files(step):
        digest.update(Path(f).relative_to(PACKAGE).as_posix().encode() + b"\0" + Path(f).read_bytes() + b"\0")
    return digest.hexdigest()[:16]
