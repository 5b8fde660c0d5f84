""":func:`load` turns a config dict into the typed :class:`~.model.Config` or reports every problem at once
(types, then the cross-field checks of :mod:`.checks`), grouped by the config file that set each key."""
from __future__ import annotations

import difflib
import re
from typing import Annotated, get_args, get_origin

from pydantic import BaseModel, ValidationError

from .checks import KEYS_DOC, Problem, check
from .files import file_of
from .model import Config

PLACE_DOCS = ("docs/real-data.md (your own data) or docs/real-data-paper.md#what-to-place-where "
              "(config/paper.yaml)")


class ConfigError(Exception):
    """Every problem of a config, worded for the user (``str(error)``), grouped by file."""

    def __init__(self, problems: list[Problem], files: list[str]):
        self.problems, self.files = problems, files
        super().__init__(self.report())

    def report(self) -> str:
        by_file: dict[str, list[Problem]] = {}
        for p in self.problems:
            by_file.setdefault(file_of(re.sub(r"\[\d+\]", "", p.key), self.files), []).append(p)
        n = len(self.problems)
        lines = [f"{n} problem{'s' * (n != 1)} in the config (nothing has run):"]
        for name, problems in by_file.items():
            lines.append(f"\n{name}:")
            lines += [f"  - {p.key}: {p.message}  [see {p.doc}]" for p in problems]
        if any("does not exist" in p.message for p in self.problems):
            lines.append(f"\nWhere each file goes: {PLACE_DOCS}.")
        return "\n".join(lines)


def load(raw: dict, files: list[str]) -> Config:
    """The typed config, or :class:`ConfigError` listing every problem (types first, then cross-field)."""
    try:
        cfg = Config.model_validate(raw or {})
    except ValidationError as exc:
        raise ConfigError(type_problems(exc, raw or {}), files) from None
    problems = check(cfg)
    if problems:
        raise ConfigError(problems, files)
    return cfg


def type_problems(exc: ValidationError, raw: dict) -> list[Problem]:
    """pydantic's errors as problems keyed by the user's dotted key; a union's alternatives become one message."""
    merged: dict[str, list[str]] = {}
    for err in exc.errors():
        key, message = key_of(err["loc"], raw), describe(err, raw)
        if message not in merged.setdefault(key, []):
            merged[key].append(message)
    return [Problem(key, " or ".join(messages), KEYS_DOC) for key, messages in merged.items()]


def key_of(loc: tuple, raw: dict) -> str:
    """The dotted key of an error location: the path through the user's config, without pydantic's union
    tags (``int``, ``literal['mean']``) that follow a value."""
    parts, node = [], raw
    for part in loc:
        if part == "[key]":
            break
        if isinstance(node, list) and isinstance(part, int):
            parts[-1] += f"[{part}]"
            node = node[part] if part < len(node) else None
            continue
        if not isinstance(node, dict):
            break
        parts.append(str(part))
        node = node.get(part)
    return ".".join(parts) or "(top level)"


def describe(err: dict, raw) -> str:
    kind, value = err["type"], err.get("input")
    if kind == "missing":
        return "is required but not set"
    if kind == "extra_forbidden":
        return f"unknown key{suggestion(err['loc'])}"
    if err["loc"] and err["loc"][-1] == "[key]":
        return f"name {value!r}: {err['msg'].lower()}"
    if kind == "value_error":  # our own validators' words (config/base.py)
        return str(err["ctx"]["error"])
    shown = repr(value) if not isinstance(value, (dict, list)) else type(value).__name__
    return f"{err['msg'][0].lower()}{err['msg'][1:]} (got {shown})"


def suggestion(loc: tuple) -> str:
    """'(did you mean ...?)' for an unknown key, from the keys its section allows."""
    annotation = Config
    for part in loc[:-1]:
        annotation = child(annotation, part)
    if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
        return ""
    allowed = list(annotation.model_fields)
    close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
    return f" (did you mean '{close[0]}'?)" if close else f" (allowed: {', '.join(allowed)})"


def child(annotation, part):
    """The annotation one step down a config path: a section's field, a dict's values, a list's items;
    of an optional or a union, the alternative that is a section (or holds one)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        field = annotation.model_fields.get(part) if isinstance(part, str) else None
        return field.annotation if field else None
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is dict:
        return args[1]
    if origin is list:
        return args[0]
    if origin is Annotated:
        return child(args[0], part)
    for arg in args:  # Union / Optional
        found = child(arg, part)
        if found is not None:
            return found
    return None

