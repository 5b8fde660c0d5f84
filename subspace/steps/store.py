"""One (task, feature) read from files into one HDF5 embedding store: the organisers' per-video feature CSVs
(humor, mimic layouts) or pre-computed vectors or sequences of a sample table (``source: precomputed``)."""
from __future__ import annotations

import json
import logging
from pathlib import Path

from . import parser

log = logging.getLogger("subspace.store")

TABLE_KEYS = {"table", "table_columns", "splits", "allow_group_leak"}
VECTOR_KEYS = {"path", "ids_key", "matrix_key"}


def spec(cfg, task: str, feature: str | None = None) -> dict:
    """What a store is read with: the task's data settings (not its features' decoders; the table's keys only in
    the table layout), the input checks, and a pre-computed feature's files (``vectors``)."""
    from ..config.model import PRECOMPUTED
    t = cfg.tasks[task]
    out = {**t.model_dump(exclude={"features", *(TABLE_KEYS if t.layout != "table" else ())}, exclude_none=True),
           "checks": cfg.checks.model_dump()}
    if feature is not None and t.features[feature].source == PRECOMPUTED:
        out["vectors"] = t.features[feature].model_dump(include=VECTOR_KEYS)
    return out


def build_parser():
    p = parser(__doc__, "store")
    p.add_argument("--task", required=True)
    p.add_argument("--feature", required=True, help="the folder under the task's feature_dir, or a precomputed "
                                                    "feature of a table task")
    p.add_argument("--spec", required=True, help="JSON: the task's settings (layout, files, targets)")
    p.add_argument("--out", required=True, help="the HDF5 store to write")
    return p


def execute(a) -> None:
    from .. import data, store, vectors
    from ..labels import label_task
    spec_ = json.loads(a.spec)
    task = label_task(spec_)  # class names and a named positive value become numbers as the labels are read
    limits = spec_.get("checks", {})  # a hand-written spec without them: the config model's defaults
    if spec_["layout"] == "table":
        emb = vectors.read_precomputed(spec_, a.feature, **limits)
        source = spec_["vectors"]["path"]
    elif spec_["layout"] == "humor":
        emb = data.read_humor(spec_["partition_file"], spec_["label_dir"], spec_["feature_dir"], a.feature,
                              spec_.get("label_column", data.HUMOR_LABEL_COLUMN), task, **limits)
        source = str(Path(spec_["feature_dir"]) / a.feature)
    else:
        emb = data.read_mimic(spec_["partition_file"], spec_["label_file"], spec_["feature_dir"], a.feature,
                              spec_["targets"], task, **limits)
        source = str(Path(spec_["feature_dir"]) / a.feature)
    emb.attrs.update({"task": a.task, "feature": a.feature, "encoder": spec_.get("encoder", a.feature),
                      "targets": spec_["targets"], "source": source, "config_hash": store.config_hash(spec_)})
    if spec_.get("classes"):  # multiclass: the label is the class's index in this list
        emb.attrs["classes"] = list(spec_["classes"])
    data.check_scorable(emb, task, data.label_source(spec_))
    store.write_embeddings(a.out, emb)
    log.info("%s/%s: %s -> %s", a.task, a.feature, store.summary(emb), a.out)
