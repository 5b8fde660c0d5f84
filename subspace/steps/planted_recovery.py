"""Demo only: the kept dimensions against the planted ones (precision and recall per feature and threshold)."""
from __future__ import annotations

import json

from . import parser
from .table import table_arguments


def planted_truth(cfg, task: str) -> dict:
    """feature -> its key in the demo's planted.json: the CSV or pre-computed features the demo writes, and raw FAU
    features (their dimensions are the action units, planted in the raw media)."""
    from ..config.demo_checks import demo_section
    from ..demo_files import RAW_FAU_TRUTH
    t, demo = cfg.tasks[task], demo_section(cfg, task)
    truth = {f: f for f in t.store_features() if f in demo.features}
    truth.update({f: RAW_FAU_TRUTH for f in t.raw_features() if cfg.encoders[t.features[f].source].kind == "fau"})
    return truth


def spec(cfg, task: str) -> dict:
    from ..layout import Results
    truth = planted_truth(cfg, task)
    return {"truth": truth, "selections": {f"{f}|{t}": Results(cfg.results).selection(task, f, t)
                                           for f in truth for t in cfg.selection.thresholds}}


def build_parser():
    p = parser(__doc__, "planted_recovery")
    table_arguments(p)
    p.add_argument("--planted", required=True, help="the demo's planted.json")
    return p


def execute(a) -> None:
    from .. import tables
    from ..atomic import read_json, write_csv, write_text
    spec_ = json.loads(a.spec)
    selections = {tuple(k.split("|")): v for k, v in spec_["selections"].items()}
    planted = read_json(a.planted)
    df = tables.recovery_table(selections, {f: planted[key] for f, key in spec_["truth"].items()})
    write_csv(a.csv, df, float_format="%.4f")
    write_text(a.md, f"# {a.task}: recovered vs planted dimensions (demo)\n\n"
               + df.to_markdown(index=False, floatfmt=".3f") + "\n")
