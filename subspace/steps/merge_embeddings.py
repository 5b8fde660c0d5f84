"""Merge a raw-media feature's shard stores into one embedding store, in the labels' sample order."""
from __future__ import annotations

import json
import logging

from . import parser

log = logging.getLogger("subspace.merge_embeddings")


def build_parser():
    p = parser(__doc__, "merge_embeddings")
    p.add_argument("--task", required=True)
    p.add_argument("--feature", required=True)
    p.add_argument("--spec", required=True, help="JSON: the task's data settings and the encoder (as extract's)")
    p.add_argument("--shards", nargs="+", required=True, help="the shard stores")
    p.add_argument("--out", required=True, help="the embedding store to write")
    return p


def execute(a) -> None:
    from .. import data, embed, store
    spec_ = json.loads(a.spec)
    encoder = spec_["encoder"]
    emb = embed.merge_shards(spec_, a.shards, {
        "task": a.task, "feature": a.feature, "encoder": encoder.get("name", encoder["kind"]),
        "targets": spec_["targets"], "source": encoder.get("model", encoder["kind"]),
        "config_hash": store.config_hash(spec_)}, **spec_.get("checks", {}), feature=a.feature)
    if spec_.get("block"):  # one layer of a feature family's extraction
        block = spec_["block"][0]
        emb.attrs["layer"] = encoder["layers"][block] if block is not None else ",".join(map(str, encoder["layers"]))
    if spec_.get("classes"):  # multiclass: the label is the class's index in this list
        emb.attrs["classes"] = list(spec_["classes"])
    data.check_scorable(emb, dict(spec_, type=data.task_type(spec_)), data.label_source(spec_))
    store.write_embeddings(a.out, emb)
    log.info("%s/%s: %d shards, %s -> %s", a.task, a.feature, len(a.shards), store.summary(emb), a.out)
