"""Build a tiny randomly initialised HuggingFace model offline (the demo's encoders; tests).

Kinds: wav2vec2, bert, electra, vit, fsmt. ``--size`` sets any of hidden, layers, heads, sampling_rate,
image_size, patch_size, vocab_size (config ``demo.tiny_models.<kind>``); the rest are subspace.tiny_models'
defaults. Tokenizers are trained with the ``tokenizers`` library, so nothing is downloaded.
"""
from __future__ import annotations

import json
import logging

from ..config.demo import TINY_KINDS
from . import parser

log = logging.getLogger("subspace.tiny_model")


def build_parser():
    p = parser(__doc__, "tiny_model")
    p.add_argument("--kind", required=True, choices=TINY_KINDS, help="which model family")
    p.add_argument("--out", required=True, help="model folder to write (save_pretrained layout)")
    p.add_argument("--size", default="{}", help='JSON of sizes, e.g. \'{"hidden": 32, "layers": 2}\'')
    p.add_argument("--seed", type=int, default=0, help="seed of the random weights")
    return p


def execute(a) -> None:
    from .. import tiny_models
    log.info("tiny %s model -> %s", a.kind, tiny_models.build(a.kind, a.out, seed=a.seed, **json.loads(a.size)))

