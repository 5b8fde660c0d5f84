"""Both directions of the top-k sweep of one feature (evaluation.removal): each ranking's top k kept and
removed, a table (devel scores; test differences to the full decoder and to random removal with bootstrap
intervals) and its figure."""
from __future__ import annotations

import json

from . import parser
from .table import table_arguments


def build_parser():
    p = parser(__doc__, "topk_removal")
    table_arguments(p)
    p.add_argument("--feature", required=True)
    p.add_argument("--figures", nargs="+", required=True, help="figure files (png, pdf)")
    return p


def execute(a) -> None:
    from .. import sweeptables
    from ..atomic import write_csv, write_text
    from ..targets import spec_metric
    spec_ = json.loads(a.spec)  # topk_table's spec
    metric = spec_metric(spec_)
    df = sweeptables.removal_table(spec_["records"], spec_["full"], metric, unit=spec_["unit"])
    title = f"{a.task} / {a.feature}: top k kept vs removed"
    write_csv(a.csv, df)
    write_text(a.md, sweeptables.removal_markdown(df, title, metric))
    sweeptables.removal_figure(df, title, metric, a.figures)
