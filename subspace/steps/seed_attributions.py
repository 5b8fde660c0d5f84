"""IG of every seed's full decoder (the selection's stability across seeds)."""
from __future__ import annotations

import json

from . import decoder_arguments, parser


def build_parser():
    p = parser(__doc__, "seed_attributions")
    p.add_argument("--embeddings", required=True)
    p.add_argument("--attributions", required=True, help="the best seed's IG file, reused when it matches")
    p.add_argument("--model-dirs", nargs="+", required=True)
    p.add_argument("--spec", required=True, help="JSON: the attribution settings")
    p.add_argument("--out", required=True)
    decoder_arguments(p)
    return p


def execute(a) -> None:
    from .. import torchjob
    device = torchjob.start(a.device, a.threads)
    from .. import attribute, retrain, store
    from ..atomic import write_json
    cfg = attribute.AttributionConfig(**json.loads(a.spec))
    means, reused = retrain.seed_attribution_means(store.read_embeddings(a.embeddings),
                                                   store.read_attributions(a.attributions), a.model_dirs, cfg,
                                                   a.threads, device)
    write_json(a.out, {"model_dirs": list(a.model_dirs), "mean": means, "reused": reused,
                       "n_steps": cfg.n_steps, "method": cfg.method, "aggregate": cfg.aggregate})
