"""Print the summary of a finished run: per task, the dimensions kept and the score full -> reduced (the lines
each task's `task_summary` job wrote), then where the pages and the report are. Snakemake prints the same at the
end of a run; this command prints it again, also for results copied elsewhere.

    python -m subspace summary                  # the run in ./results
    python -m subspace summary --results DIR    # another results folder
"""
from __future__ import annotations

import sys
from pathlib import Path

from . import parser
from ..errors import InputError

REPORT_HINT = ("The whole run in one page: snakemake --report {root}/report.html (make report); "
               "each task's page above opens in a browser on its own.")


def run_summary(texts: list[str], root: str) -> str:
    """The summaries that exist, in the given order, and the report command; '' when none exists (a partial
    run, e.g. one target file)."""
    found = [Path(p).read_text() for p in texts if Path(p).is_file()]
    if not found:
        return ""
    return "\n" + "\n".join(found) + "\n" + REPORT_HINT.format(root=root) + "\n"


def print_after_run(texts: list[str], root: str, stream=None) -> None:
    """Snakemake's ``onsuccess``: print the summary; a problem here is one line, never a failed run."""
    stream = stream or sys.stdout
    try:
        stream.write(run_summary(texts, root))
    except Exception as exc:  # noqa: BLE001 - the run succeeded; its summary is a convenience
        stream.write(f"(no run summary: {type(exc).__name__}: {exc}; python -m subspace summary --results {root})\n")


def build_parser():
    p = parser(__doc__, "summary")
    p.add_argument("--results", default="results", help="the run's results folder (config key `results`)")
    return p


def execute(a) -> None:
    texts = sorted(str(p) for p in Path(a.results).glob("*/summary.txt"))
    if not texts:
        raise InputError(a.results, "no task summary (<task>/summary.txt) here: not a finished run's results "
                         "folder, or a run from before the summaries")
    sys.stdout.write(run_summary(texts, a.results))
