"""``python -m subspace <step> ...``: run one workflow step (each is a module of :mod:`subspace.steps`).

``python -m subspace`` lists the steps; ``python -m subspace <step> --help`` describes a step's arguments.
"""
from __future__ import annotations

import importlib
import sys
from pathlib import Path

from .steps import run_step

# the names of the commands before each step had its own module
ALIASES = {"merge": "merge_embeddings", "recovery": "planted_recovery", "plot": "plot_attributions",
           "fau": "fau_figure", "html-table": "table_html"}


def steps() -> list[str]:
    """Every step: a module of subspace/steps (read from the folder, so a new step changes no code here and
    so reruns no job of another step: this file is part of every step's code, subspace/codehash.py)."""
    return sorted(p.stem for p in (Path(__file__).parent / "steps").glob("*.py") if p.stem != "__init__")


def step_module(name: str):
    step = ALIASES.get(name, name.replace("-", "_"))
    if step not in steps():
        raise SystemExit(f"python -m subspace: unknown step '{name}'; steps: {', '.join(steps())}")
    return importlib.import_module(f"subspace.steps.{step}")


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__ + "\nsteps: " + ", ".join(steps()))
        return 0
    module = step_module(argv[0])
    return run_step(module.build_parser(), module.execute, argv[1:])
