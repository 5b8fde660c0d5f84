"""The control task of one swept feature (evaluation.control): train and devel labels permuted within groups,
then the same full decoders, IG, rankings and top-k retraining as the task's sweep."""
from __future__ import annotations

import json
import logging

from . import decoder_arguments, parser

log = logging.getLogger("subspace.control_train")


def spec(cfg, task: str, feature: str) -> dict:
    """What the control repeats: the feature's training, the attribution settings and the sweep's methods, k,
    seeds, random seed (also the permutation's) and gradient batch size."""
    from . import attribute, train
    from ..sweepfiles import sweep_seeds
    ev = cfg.evaluation
    return {"train": train.spec(cfg, task, feature), "attribution": attribute.spec(cfg), "methods": ev.methods,
            "k": ev.k, "seeds": sweep_seeds(cfg), "random_seed": ev.random_seed, "batch_size": ev.batch_size}


def build_parser():
    p = parser(__doc__, "control_train")
    p.add_argument("--embeddings", required=True)
    p.add_argument("--spec", required=True, help="JSON: see spec()")
    p.add_argument("--models-dir", required=True)
    p.add_argument("--out", required=True, help="the control's summary (JSON)")
    decoder_arguments(p)
    return p


def execute(a) -> None:
    from .. import torchjob
    device = torchjob.start(a.device, a.threads)
    from .. import control, store
    from ..atomic import write_json
    s = json.loads(a.spec)
    write_json(a.out, control.control_sweep(
        store.read_embeddings(a.embeddings), s["train"], s["attribution"], s["methods"], s["k"], s["seeds"],
        s["random_seed"], s["batch_size"], a.models_dir, a.threads, device, a.embeddings))
