"""Render a CSV table as a self-contained HTML page for the report: a compact view that fits the page (the
metric in the score headers), then the full table and the CSV as a download."""
from __future__ import annotations

from . import parser


def metric_record(cfg, task: str) -> str:
    """One metrics.json of the task's decoders: it names the metric the task's scores are in (read from the run's
    files, so the tables say what the decoders were scored with)."""
    from ..layout import Results
    feature = next(iter(cfg.tasks[task].features))
    return Results(cfg.results).seed_file(task, feature, "full", cfg.seeds[0], "metrics.json")


def build_parser():
    p = parser(__doc__, "table_html")
    p.add_argument("--csv", required=True)
    p.add_argument("--title", required=True)
    p.add_argument("--note", default="")
    p.add_argument("--metrics", default=None, help="a metrics.json of the task: names the metric in the headers")
    p.add_argument("--out", required=True)
    return p


def execute(a) -> None:
    from .. import htmltables
    from ..runs import read_metrics
    metric = read_metrics(a.metrics).get("metric") if a.metrics else None
    htmltables.html_table(a.csv, a.title, a.out, a.note, metric)
