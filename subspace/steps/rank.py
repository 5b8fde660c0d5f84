"""Rank one feature's dimensions by every evaluation method: IG (the attribution file), a random control,
Saliency and Input x Gradient of the decoder IG explained, and statistical filters of the training windows."""
from __future__ import annotations

import json
import logging

from ..config.model import Evaluation, default
from . import decoder_arguments, parser

log = logging.getLogger("subspace.rank")


def build_parser():
    p = parser(__doc__, "rank")
    p.add_argument("--embeddings", required=True)
    p.add_argument("--attributions", required=True, help="the IG file; its model is the one explained")
    p.add_argument("--methods", required=True, help="JSON list (evaluation.methods)")
    p.add_argument("--task-type", choices=["binary", "multiclass", "regression"], required=True,
                   help="the labels of the statistical rankings")
    p.add_argument("--random-seed", type=int, default=default(Evaluation, "random_seed"),
                   help="the random control's and mutual information's seed (evaluation.random_seed)")
    p.add_argument("--batch-size", type=int, default=default(Evaluation, "batch_size"),
                   help="sequences per Saliency/InputXGradient call (evaluation.batch_size)")
    p.add_argument("--out", required=True)
    decoder_arguments(p)
    return p


def execute(a) -> None:
    from .. import torchjob
    device = torchjob.start(a.device, a.threads)
    from .. import evaluate, store
    from ..atomic import write_json
    write_json(a.out, evaluate.compute_rankings(
        store.read_embeddings(a.embeddings), store.read_attributions(a.attributions), json.loads(a.methods),
        a.task_type, a.random_seed, a.batch_size, a.threads, device, (a.embeddings, a.attributions)))
