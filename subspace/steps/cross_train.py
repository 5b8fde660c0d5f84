"""Retrain one task's feature on another task's sub-space of the same encoder, and on random sets of its size."""
from __future__ import annotations

import json

from ..config.model import Evaluation, default
from . import decoder_arguments, parser


def build_parser():
    p = parser(__doc__, "cross_train")
    p.add_argument("--embeddings", required=True)
    p.add_argument("--selection", required=True, help="the other task's selection of the same encoder")
    p.add_argument("--spec", required=True, help="JSON: the feature's training spec (as train's)")
    p.add_argument("--seed", type=int, nargs="+", required=True)
    p.add_argument("--random-seed", type=int, default=default(Evaluation, "random_seed"),
                   help="seed of the random sets (evaluation.random_seed)")
    p.add_argument("--models-dir", required=True)
    p.add_argument("--out", required=True)
    decoder_arguments(p)
    return p


def execute(a) -> None:
    from .. import torchjob
    device = torchjob.start(a.device, a.threads)
    from .. import retrain, store
    from ..atomic import read_json, write_json
    from ..errors import InputError
    selection = read_json(a.selection)
    emb = store.read_embeddings(a.embeddings)
    if selection["n_total"] != emb.dim:
        raise InputError(a.selection, f"selects from {selection['n_total']} dimensions, but {a.embeddings} has "
                                      f"{emb.dim}: evaluation.cross_task pairs features of the same encoder")
    results = retrain.cross_retrain(emb, selection["kept"], json.loads(a.spec), a.seed, a.random_seed,
                                    a.models_dir, a.threads, device, source=a.embeddings)
    write_json(a.out, {"selection": a.selection, "kept": selection["kept"], "dim": emb.dim,
                       "random_seed": a.random_seed, "results": results})
