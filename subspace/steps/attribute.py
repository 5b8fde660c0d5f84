"""Integrated Gradients over the training partition with the best seed's full decoder (attribution file)."""
from __future__ import annotations

import json
import logging

from . import decoder_arguments, parser

log = logging.getLogger("subspace.attribute")


def spec(cfg) -> dict:
    return cfg.attribution.model_dump()


def build_parser():
    p = parser(__doc__, "attribute")
    p.add_argument("--embeddings", required=True, help="the feature's HDF5 store")
    p.add_argument("--model-dirs", nargs="+", required=True, help="every seed's full decoder folder")
    p.add_argument("--spec", required=True, help="JSON: the attribution settings")
    p.add_argument("--out", required=True, help="the attribution file (HDF5) to write")
    decoder_arguments(p)
    return p


def execute(a) -> None:
    from .. import torchjob
    device = torchjob.start(a.device, a.threads)
    from .. import attribute, store
    cfg = attribute.AttributionConfig(**json.loads(a.spec))
    emb = store.read_embeddings(a.embeddings)
    stats, attrs = attribute.explain_best_seed(emb, a.model_dirs, cfg, device, a.threads)
    store.write_attributions(a.out, stats, emb.dim_names, attrs)
