"""Keep the dimensions whose mean attribution is above a threshold (``mean``, the paper's, or ``pNN``)."""
from __future__ import annotations

import logging

from . import parser

log = logging.getLogger("subspace.select")


def build_parser():
    p = parser(__doc__, "select")
    p.add_argument("--attributions", required=True, help="the attribution file")
    p.add_argument("--threshold", required=True, help="mean or pNN, e.g. p75")
    p.add_argument("--out", required=True, help="the selection JSON to write")
    return p


def execute(a) -> None:
    from .. import select, store
    from ..atomic import write_json
    stats = store.read_attributions(a.attributions)
    record = select.selection_record(stats["mean"], a.threshold, stats["dim_names"], a.attributions)
    write_json(a.out, record)
    log.info("threshold %s keeps %d of %d dimensions", a.threshold, record["n_kept"], record["n_total"])
