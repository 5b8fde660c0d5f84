"""Train the baseline's decoder on one (task, feature, variant), one checkpoint per seed: the full decoder on
every dimension, or a reduced one on a selection's kept dimensions (``--selection``)."""
from __future__ import annotations

import json
import logging

from . import decoder_arguments, parser

log = logging.getLogger("subspace.train")


def spec(cfg, task: str, feature: str) -> dict:
    """A feature's decoder and training: its own keys, the rest from `training` (defaults: the baseline's)."""
    from ..config.model import DECODER_KEYS, TRAIN_KEYS
    hp, t = cfg.tasks[task].features[feature], cfg.training
    return {**target_spec(cfg, task),
            "decoder": {**{k: getattr(hp, k) for k in DECODER_KEYS}, "d_fc_out": t.d_fc_out,
                        "activation": t.activation},
            "train": {**{k: getattr(hp, k) for k in TRAIN_KEYS}, "batch_size": hp.batch_size or t.batch_size,
                      "max_epochs": t.max_epochs, "lr_factor": t.lr_factor, "min_lr": t.min_lr}}


def target_spec(cfg, task: str) -> dict:
    """What a decoder job needs to know of a task's targets: kind, names, metric, classes and class weights."""
    from ..targets import metric_of
    t = cfg.tasks[task]
    return {"task_type": t.type, "targets": t.targets, "metric": metric_of(t), "classes": t.classes,
            "class_weights": t.class_weights}


def build_parser():
    p = parser(__doc__, "train")
    p.add_argument("--embeddings", required=True, help="the feature's HDF5 store")
    p.add_argument("--spec", required=True, help="JSON: task_type, targets, metric, classes, class_weights, decoder "
                                                 "and train settings")
    p.add_argument("--seed", type=int, nargs="+", required=True)
    p.add_argument("--selection", help="a selection JSON: train on its kept dimensions only")
    p.add_argument("--out-dir", nargs="+", required=True, help="one folder per seed")
    decoder_arguments(p)
    return p


def execute(a) -> None:
    from .. import torchjob
    device = torchjob.start(a.device, a.threads)
    from .. import store, train
    from ..atomic import read_json
    spec_ = json.loads(a.spec)
    if len(a.seed) != len(a.out_dir):
        raise SystemExit(f"train: {len(a.seed)} seeds but {len(a.out_dir)} output folders")
    emb = store.read_embeddings(a.embeddings)
    dims = None
    if a.selection:
        dims = read_json(a.selection)["kept"]
        log.info("reduced decoder on %d of %d dimensions from %s", len(dims), emb.dim, a.selection)
    # seeds run one after the other in one process: the store is read and torch imported once
    for seed, out_dir in zip(a.seed, a.out_dir):
        record = train.run_seed(emb, spec_, seed, out_dir, dims=dims, threads=a.threads, device=device,
                                source=a.embeddings)
        log.info("seed %d: devel %s %.4f, %d parameters, %.2f s training", seed, record["metric"],
                 record["scores"]["devel"], record["parameters"], record["train_seconds"])
