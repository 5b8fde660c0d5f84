"""The layer table of one feature family (a raw-media feature with `layers`): per layer the full and reduced
decoders' scores with cluster-bootstrap intervals, the sub-space sizes, the best layer, and its figure."""
from __future__ import annotations

import json

from . import parser
from .table import seed_metrics, table_arguments


def families(cfg, task: str) -> list[str]:
    """The task's features that have `layers`."""
    return [f for f, hp in cfg.tasks[task].features.items() if hp.layers]


def members(cfg, task: str, family: str) -> list[tuple[str, object]]:
    """(feature, layer) of a family: the feature itself (its encoder's `layer`) first, then `<family>-L<k>`, then
    `<family>-Lcat` (layer `concat`) where `concat_layers` is set."""
    from ..config.layers import CONCAT
    hp = cfg.tasks[task].features[family]
    out = [(family, cfg.encoders[hp.source].layer)] + [(f"{family}-L{k}", k) for k in hp.layers]
    return out + ([(f"{family}-L{CONCAT}", "concat")] if hp.concat_layers else [])


def spec(cfg, task: str, family: str) -> dict:
    from ..config.model import Evaluation, default
    from ..layout import Results
    from ..targets import metric_of
    r, t = Results(cfg.results), cfg.tasks[task]

    def files(feature: str, variant: str) -> dict:
        return {"metrics": seed_metrics(cfg, task, feature, variant),
                "predictions": [r.seed_file(task, feature, variant, s, "predictions.csv") for s in cfg.seeds],
                "selection": None if variant == "full" else r.selection(task, feature, variant)}

    variants = ["full", *cfg.selection.thresholds]
    layers = [layer for _, layer in members(cfg, task, family) if layer != "concat"]  # the concatenation's blocks
    return {"task_type": t.type, "metric": metric_of(t), "model": cfg.encoders[t.features[family].source].model,
            "unit": cfg.evaluation.bootstrap_unit if cfg.evaluation else default(Evaluation, "bootstrap_unit"),
            "members": [{"feature": f, "layer": layer, "variants": {v: files(f, v) for v in variants},
                         **({"blocks": layers} if layer == "concat" else {})}
                        for f, layer in members(cfg, task, family)]}


def spec_files(spec_: dict) -> list[str]:
    """Every file a layer-table spec names (the rule's inputs)."""
    return [p for m in spec_["members"] for files in m["variants"].values()
            for p in files["metrics"] + files["predictions"] + ([files["selection"]] if files["selection"] else [])]


def hidden_layers(model_folder) -> int | None:
    """The model's transformer layers (config.json's ``num_hidden_layers``), to name layer -1; None if unknown."""
    from pathlib import Path
    try:
        return int(json.loads((Path(model_folder) / "config.json").read_text())["num_hidden_layers"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def build_parser():
    p = parser(__doc__, "layer_table")
    table_arguments(p)
    p.add_argument("--feature", required=True, help="the family: the feature that has `layers`")
    p.add_argument("--figures", nargs="+", required=True, help="figure files (png, pdf)")
    return p


def execute(a) -> None:
    from .. import layertables
    from ..atomic import write_csv, write_text
    from ..targets import spec_metric
    spec_ = json.loads(a.spec)
    metric, n_layers = spec_metric(spec_), hidden_layers(spec_["model"])
    for m in spec_["members"]:
        m["layer"], m["position"] = layertables.layer_label(m["layer"], n_layers)
        m["blocks"] = [layertables.layer_label(k, n_layers)[0] for k in m.get("blocks", [])]
    df = layertables.layer_table(spec_["members"], metric, unit=spec_["unit"])
    title = f"{a.task} / {a.feature}: layers as features"
    write_csv(a.csv, df)
    write_text(a.md, layertables.layer_markdown(df, title, metric))
    layertables.layer_figure(df, title, metric, a.figures)
