"""One entry point per workflow step: ``python -m subspace <step> ...`` runs ``subspace/steps/<step>.py``.

Each module has ``build_parser()`` and ``execute(args)``: it parses its arguments and calls the library (the logic lives in ``subspace/*.py``); where the
workflow passes structured settings, a module's ``spec(...)`` builds them from the typed config, so what a
job ran with is visible in its shell command and in Snakemake's records. A rule tracks the code of its own
step module and the library modules it imports (:mod:`subspace.codehash`): a change to one step reruns that
step's jobs and what depends on them, nothing else.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import traceback

from ..errors import InputError

DEBUG_ENV = "SUBSPACE_DEBUG"


def parser(step_doc: str, prog: str) -> argparse.ArgumentParser:
    """An argument parser whose help is the step module's docstring."""
    return argparse.ArgumentParser(prog=f"python -m subspace {prog}", description=step_doc,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)


def decoder_arguments(p: argparse.ArgumentParser) -> None:
    """Where a decoder step computes: CPU threads and the torch device (:func:`subspace.torchjob.start`); a job
    whose rule declares no GPU computes on the CPU (:func:`subspace.torchjob.placement`)."""
    from ..config.model import Config, default
    p.add_argument("--threads", type=int, default=default(Config, "threads_per_job"), help="torch CPU threads")
    p.add_argument("--device", default="cpu", help="auto, cpu, cuda or cuda:<index> (training.device)")


def spec_json(obj) -> str:
    """Settings as the compact, key-sorted JSON a rule passes (``--spec``): equal settings, equal text."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"))


def run_step(p: argparse.ArgumentParser, execute, argv=None) -> int:
    """Parse, run, and end every error path in one line that names the file and the problem.

    Bad input (:class:`InputError`) is the user's to fix; anything else is a bug, reported in one line with
    where it happened (the whole traceback with ``SUBSPACE_DEBUG=1``).
    """
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    args = p.parse_args(argv)
    try:
        execute(args)
    except InputError as exc:
        print(f"error: {exc.path}: {exc.problem}", file=sys.stderr)
        return 1
    except Exception as exc:  # noqa: BLE001 - the last line of a failed job must say what happened
        if os.environ.get(DEBUG_ENV):
            traceback.print_exc()
        frame = traceback.extract_tb(exc.__traceback__)[-1]
        print(f"error: {p.prog.split()[-1]} failed unexpectedly: {type(exc).__name__}: {exc} "
              f"(at {os.path.basename(frame.filename)}:{frame.lineno} in {frame.name}; a bug: please report it "
              f"with this log, rerun with {DEBUG_ENV}=1 for the traceback)", file=sys.stderr)
        return 1
    return 0
