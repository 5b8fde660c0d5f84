"""Keep the dimensions whose mean attribution is above a threshold (``mean``, the paper's, or ``pNN``); with
``--sweep`` (selection.ranking auto) as many dimensions, ranked first by the top-k sweep's best ranking."""
from __future__ import annotations

import logging

from . import parser

log = logging.getLogger("subspace.select")


def build_parser():
    p = parser(__doc__, "select")
    p.add_argument("--attributions", required=True, help="the attribution file")
    p.add_argument("--threshold", required=True, help="mean or pNN, e.g. p75")
    p.add_argument("--sweep", help="JSON {records, rankings}: take the dimensions from the sweep's best ranking "
                                   "(selection.ranking auto; the threshold on IG sets how many)")
    p.add_argument("--out", required=True, help="the selection JSON to write")
    return p


def sweep(cfg, task: str, feature: str) -> dict | None:
    """The top-k sweep that `selection.ranking: auto` chooses from: its records and rankings file, or None where
    the selection is IG's (the default, or a feature without a sweep)."""
    from ..layout import Results
    from ..sweepfiles import records
    if cfg.selection.ranking != "auto" or not cfg.evaluation or feature not in cfg.evaluation.features.get(task, []):
        return None
    return {"records": records(cfg, task, feature), "rankings": Results(cfg.results).rankings(task, feature)}


def sweep_files(cfg, task: str, feature: str) -> list[str]:
    """What the selection reads from the sweep (nothing where it is IG's)."""
    chosen = sweep(cfg, task, feature)
    return [] if chosen is None else [p for files in chosen["records"].values() for p in files] + [chosen["rankings"]]


def sweep_argument(cfg, task: str, feature: str) -> str:
    """``--sweep '<json>'`` where the selection chooses from the sweep, else nothing."""
    import shlex

    from . import spec_json
    chosen = sweep(cfg, task, feature)
    return "" if chosen is None else f"--sweep {shlex.quote(spec_json(chosen))}"


def execute(a) -> None:
    from .. import select, store
    from ..atomic import read_json, write_json
    stats = store.read_attributions(a.attributions)
    if a.sweep:
        import json

        from .. import rankchoice
        spec_ = json.loads(a.sweep)
        choice = rankchoice.choose_ranking(spec_["records"])
        record = rankchoice.ranked_selection(stats["mean"], a.threshold, stats["dim_names"],
                                             read_json(spec_["rankings"]), choice, a.attributions)
        log.info("ranking %s (devel by ranking: %s)", choice["ranking"], choice["devel_by_ranking"])
    else:
        record = select.selection_record(stats["mean"], a.threshold, stats["dim_names"], a.attributions)
    write_json(a.out, record)
    log.info("threshold %s keeps %d of %d dimensions", a.threshold, record["n_kept"], record["n_total"])
