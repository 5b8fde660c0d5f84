"""Retrain on the top-k dimensions of one ranking, for each k of the sweep (one seed)."""
from __future__ import annotations

import json
import logging

from . import decoder_arguments, parser

log = logging.getLogger("subspace.topk_train")


def build_parser():
    p = parser(__doc__, "topk_train")
    p.add_argument("--embeddings", required=True)
    p.add_argument("--rankings", required=True)
    p.add_argument("--method", required=True)
    p.add_argument("--k", required=True, help="JSON list: fractions in (0, 1) or counts")
    p.add_argument("--spec", required=True, help="JSON: the feature's training spec (as train's)")
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--models-dir", required=True)
    p.add_argument("--removal", action="store_true",
                   help="also retrain on every dimension but the top k (evaluation.removal)")
    p.add_argument("--out", required=True)
    decoder_arguments(p)
    return p


def execute(a) -> None:
    from .. import torchjob
    device = torchjob.start(a.device, a.threads)
    from .. import retrain, store
    from ..atomic import read_json, write_json
    write_json(a.out, retrain.topk_sweep(
        store.read_embeddings(a.embeddings), read_json(a.rankings), a.method, json.loads(a.k), json.loads(a.spec),
        a.seed, a.models_dir, a.threads, device, (a.embeddings, a.rankings), removal=a.removal))
