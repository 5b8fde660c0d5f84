"""`selection.ranking: auto`: the best sub-space, not only IG's (issue 22 item 6). On held-out data IG is not
always the best ranking, so for a feature with a top-k sweep the selection can take its dimensions from the
ranking whose top-k decoders score best on devel, averaged over the sweep's k and seeds (the random control
never counts; IG wins a tie). The size stays what IG's threshold keeps, so `ig` and `auto` reduce to as many
dimensions and differ only in which.

Only numpy: the selection (train environment) and its table (plot environment, :mod:`subspace.sweeptables`)
use it.
"""
from __future__ import annotations

import numpy as np

from .atomic import read_json
from .errors import InputError
from .evaluate import METHODS, selected_by_order
from .select import selection_record

CONTROL = "random"  # the sweep's random control is never chosen


def sweep_results(records: dict[str, list[str]]) -> dict[str, list[dict]]:
    """method -> every trained (k, seed) result of its sweep records, with the seed; [] for a left-out ranking."""
    out = {}
    for method, files in records.items():
        out[method] = [{**r, "seed": rec["seed"]} for rec in map(read_json, files) for r in rec["results"]]
    return out


def choose_ranking(records: dict[str, list[str]]) -> dict:
    """The ranking whose top-k decoders have the best mean devel score over the sweep's k and seeds: ``ranking``
    and ``devel_by_ranking`` (each candidate's mean, in the configured order; IG first, so it wins a tie)."""
    results = sweep_results(records)
    candidates = [m for m in METHODS if m in results and m != CONTROL and results[m]]
    candidates += [m for m in results if m not in METHODS and m != CONTROL and results[m]]
    if not candidates:
        first = next((files[0] for files in records.values() if files), "the top-k sweep")
        raise InputError(first, "the sweep trained no ranking but the random control, so selection.ranking `auto` "
                                "has nothing to choose from: add rankings to evaluation.methods or use `ig`")
    devel = {m: float(np.mean([r["scores"]["devel"] for r in results[m]])) for m in candidates}
    best = max(candidates, key=lambda m: devel[m])  # max keeps the first of equal values
    return {"ranking": best, "devel_by_ranking": devel}


def ranked_selection(ig_mean, threshold: str, dim_names: list[str], rankings: dict, choice: dict,
                     source: str) -> dict:
    """A selection record (:func:`subspace.select.selection_record`) whose size is what ``threshold`` keeps of
    IG and whose dimensions are the first of the chosen ranking (for IG itself: the same set). It records the
    ranking, the candidates' devel means and IG's own kept dimensions (``ig_kept``)."""
    ig = selection_record(ig_mean, threshold, dim_names, source)
    kept = selected_by_order(rankings["methods"][choice["ranking"]]["order"], ig["n_kept"])
    return {**ig, "kept": kept, "kept_names": [dim_names[i] for i in kept], "ranking": choice["ranking"],
            "devel_by_ranking": choice["devel_by_ranking"], "ig_kept": ig["kept"]}
