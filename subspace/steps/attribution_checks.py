"""Per feature of a task: the input scale IG saw (IG multiplies by the input), the completeness error, and
whether the explained decoder learned anything."""
from __future__ import annotations

import json
import logging

from . import parser
from .table import table_arguments

log = logging.getLogger("subspace.attribution_checks")


def spec(cfg, task: str) -> dict:
    from ..layout import Results
    return {f: Results(cfg.results).attribution(task, f) for f in cfg.tasks[task].features}


def build_parser():
    p = parser(__doc__, "attribution_checks")
    table_arguments(p, "JSON {feature: attribution file}")
    return p


def execute(a) -> None:
    from .. import holdtables
    from ..atomic import write_csv, write_text
    df = holdtables.attribution_checks_table(json.loads(a.spec))
    write_csv(a.csv, df)
    title = f"{a.task}: attribution checks (input scale, explained decoder)"
    write_text(a.md, holdtables.attribution_checks_markdown(df, title))
    for r in df.itertuples():
        for warning in (r.scale_warning, r.decoder_warning):
            if warning:
                log.warning("%s/%s: %s", a.task, r.feature, warning)
