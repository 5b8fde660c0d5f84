"""Cross-task sub-spaces of one feature pair (one encoder, two tasks): Jaccard of their selections and each
task retrained on the other's sub-space, against its own and random sets; a table and a figure."""
from __future__ import annotations

import json
import logging

from . import parser
from .table import seed_metrics

log = logging.getLogger("subspace.cross_task")


def pairs(cfg, task: str | None = None) -> list[tuple[tuple[str, str], tuple[str, str]]]:
    """`evaluation.cross_task` as ((task, feature), (other task, other feature)), the pairs listed under their
    first member's task (``task``) or all of them."""
    found = [tuple(tuple(m.split(":", 1)) for m in pair) for pair in (cfg.evaluation.cross_task
                                                                        if cfg.evaluation else [])]
    return [p for p in found if task is None or p[0][0] == task]


def name(feature: str, other: str, other_feature: str) -> str:
    return f"cross_task_{feature}.{other}.{other_feature}"


def spec(cfg, task: str, feature: str, other: str, other_feature: str) -> dict:
    """Both directions of a pair (each task on the other's sub-space) for every threshold."""
    from ..layout import Results
    from ..targets import metric_of
    r = Results(cfg.results)
    directions = []
    for (t, f), (ot, of) in (((task, feature), (other, other_feature)), ((other, other_feature), (task, feature))):
        for threshold in cfg.selection.thresholds:
            directions.append({"task": t, "feature": f, "task_type": cfg.tasks[t].type,
                               "metric": metric_of(cfg.tasks[t]), "other": f"{ot}:{of}",
                               "threshold": threshold, "own_selection": r.selection(t, f, threshold),
                               "other_selection": r.selection(ot, of, threshold),
                               "own_metrics": seed_metrics(cfg, t, f, threshold),
                               "cross": r.cross_summary(t, f, ot, of, threshold)})
    return {"directions": directions, "names": [f"{task}:{feature}", f"{other}:{other_feature}"],
            "attributions": [r.attribution(t, f) for t, f in ((task, feature), (other, other_feature))],
            "thresholds": cfg.selection.thresholds, "unit": cfg.evaluation.bootstrap_unit}


def spec_files(spec_: dict) -> list[str]:
    """Every file a cross-task spec reads (the rule's inputs)."""
    from ..runs import predictions_of
    out = list(spec_["attributions"])
    for d in spec_["directions"]:
        out += [d["own_selection"], d["other_selection"], d["cross"]] + d["own_metrics"]
        out += [predictions_of(p) for p in d["own_metrics"]]
    return sorted(set(out))


def build_parser():
    p = parser(__doc__, "cross_task")
    p.add_argument("--spec", required=True)
    p.add_argument("--csv", required=True)
    p.add_argument("--md", required=True)
    p.add_argument("--figures", nargs="+", required=True)
    return p


def execute(a) -> None:
    from .. import holdtables, store
    from ..targets import spec_metric
    from ..atomic import write_csv, write_text
    spec_ = json.loads(a.spec)
    df = holdtables.cross_task_table(spec_["directions"], unit=spec_["unit"])
    names = spec_["names"]
    title = f"cross-task sub-spaces: {names[0]} and {names[1]}"
    write_csv(a.csv, df)
    metrics = {d["task"]: spec_metric(d) for d in spec_["directions"]}
    write_text(a.md, holdtables.cross_task_markdown(df, title, metrics))
    attributions = {n: store.read_attributions(path) for n, path in zip(names, spec_["attributions"])}
    holdtables.cross_task_figure(attributions, spec_["thresholds"][0], title, a.figures)
    for r in df.itertuples():
        log.info("%s:%s %s: Jaccard %.3f; test own %.4f, %s's %.4f (%+.4f [%+.4f, %+.4f]), random %.4f", r.task,
                 r.feature, r.threshold, r.jaccard, r.own_test, r.other, r.other_test, r.other_minus_own,
                 r.other_minus_own_low, r.other_minus_own_high, r.random_test)
