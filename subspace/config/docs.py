"""Generate the JSON schema Snakemake validates and the key tables of config/README.md from the config model.

    python -m subspace.config.docs --write    # rewrite both (run after changing subspace/config/*.py)
    python -m subspace.config.docs --check    # exit 1 when either is stale (tests/test_config.py)
"""
from __future__ import annotations

import argparse
import json
import sys
import types
from pathlib import Path
from typing import Annotated, Literal, Union, get_args, get_origin

import yaml
from pydantic import BaseModel

from .model import Config

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "workflow" / "schemas" / "config.schema.yaml"
README = ROOT / "config" / "README.md"
BEGIN, END = "<!-- BEGIN generated keys: python -m subspace.config.docs --write -->", "<!-- END generated keys -->"


def schema_text() -> str:
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", **Config.model_json_schema()}
    head = ("# GENERATED from subspace/config/model.py by `python -m subspace.config.docs --write`: do not edit.\n"
            "# Snakemake validates every config against it (workflow/rules/common.smk) after the typed model has.\n")
    return head + yaml.safe_dump(schema, sort_keys=False, allow_unicode=True, width=120)


def type_name(annotation) -> str:
    """A short, readable name of a key's type for the tables."""
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Annotated:
        return type_name(args[0])
    if origin is Literal:
        return " \\| ".join(f"`{a}`" for a in args)
    if origin in (Union, types.UnionType):
        return " or ".join(type_name(a) for a in args if a is not type(None))
    if origin is list:
        return f"list of {type_name(args[0])}"
    if origin is dict:
        return f"{{name: {type_name(args[1])}}}"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "section"
    return getattr(annotation, "__name__", str(annotation))


# what the name of a dict entry stands for in the tables
PLACEHOLDERS = {"tasks": "<task>", "features": "<feature>", "encoders": "<encoder>", "tiny_models": "<kind>",
                "finetune": "<task>", "combinations": "<task>", "fau_features": "<task>",
                "tables": "<task>"}


def section_of(annotation, placeholder: str = "<name>"):
    """(prefix, section class) where a key holds a section directly, optionally, or as a dict's values."""
    origin, args = get_origin(annotation), get_args(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "", annotation
    if origin is Annotated:
        return section_of(args[0], placeholder)
    if origin is dict:
        prefix, section = section_of(args[1], placeholder)
        return (f".{placeholder}" + prefix, section) if section else ("", None)
    if origin in (Union, types.UnionType):
        for arg in args:
            prefix, section = section_of(arg, placeholder)
            if section is not None:
                return prefix, section
    return "", None


def default_text(field) -> str:
    if field.is_required():
        return "required"
    value = field.get_default(call_default_factory=True)
    if isinstance(value, BaseModel):
        return "(its keys' defaults)"
    if value is None:
        return "–"
    return f"`{json.dumps(value)}`"


def rows(model: type[BaseModel], prefix: str = "") -> list[tuple[str, str, str, str]]:
    out = []
    for name, field in model.model_fields.items():
        key = f"{prefix}{name}"
        sub_prefix, section = section_of(field.annotation, PLACEHOLDERS.get(name, "<name>"))
        description = (field.description or (section.__doc__ or "").strip().split("\n")[0] if section
                       else field.description or "")
        out.append((key, type_name(field.annotation), default_text(field), description.replace("|", "\\|")))
        if section is not None and section is not model:
            out += rows(section, f"{key}{sub_prefix}.")
    return out


def tables_text() -> str:
    """One table per top-level section, in the model's order."""
    lines = [BEGIN, ""]
    groups: dict[str, list] = {}
    for row in rows(Config):
        groups.setdefault(row[0].split(".")[0].split("<")[0], []).append(row)
    for top, group in groups.items():
        lines += [f"#### `{top}`", "", "| key | type | default | meaning |", "|---|---|---|---|"]
        lines += [f"| `{key}` | {kind} | {default} | {text} |" for key, kind, default, text in group]
        lines.append("")
    return "\n".join(lines + [END])


def readme_text(current: str) -> str:
    if BEGIN not in current or END not in current:
        raise SystemExit(f"{README}: the markers {BEGIN!r} and {END!r} are missing")
    head, rest = current.split(BEGIN, 1)
    return head + tables_text() + rest.split(END, 1)[1]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m subspace.config.docs", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", action="store_true", help="rewrite the schema and the README's key tables")
    mode.add_argument("--check", action="store_true", help="exit 1 when either is stale")
    args = parser.parse_args(argv)
    wanted = {SCHEMA: schema_text(), README: readme_text(README.read_text())}
    stale = [path for path, text in wanted.items() if not path.exists() or path.read_text() != text]
    if args.write:
        for path in stale:
            path.write_text(wanted[path])
            print(f"wrote {path.relative_to(ROOT)}")
        return 0
    for path in stale:
        print(f"{path.relative_to(ROOT)} is stale: run `python -m subspace.config.docs --write`", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
