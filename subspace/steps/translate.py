"""Translate one shard of a task's transcripts with an FSMT model (German -> English, before an English BERT)."""
from __future__ import annotations

import json
import logging
from pathlib import Path

from . import parser
from .extract import encoder_spec, shard_arguments
from .store import spec as store_spec

log = logging.getLogger("subspace.translate")


def spec(cfg, task: str, feature: str) -> dict:
    """The task's data settings and the translation encoder of the feature's text encoder."""
    translator = cfg.encoders[cfg.tasks[task].features[feature].source].translate
    return {**store_spec(cfg, task), "encoder": encoder_spec(cfg, translator, "translate")}


def build_parser():
    p = parser(__doc__, "translate")
    shard_arguments(p, task_required=False)
    return p


def execute(a) -> None:
    from .. import embed, media, torchjob
    spec_ = json.loads(a.spec)
    translator = spec_["encoder"]
    device = torchjob.start(translator.get("device", "cpu"), a.threads, f"encoders.{translator.get('name')}.device")
    videos = media.shard_videos(media.list_videos(spec_), a.shard, a.n_shards)
    n = embed.translate_videos(spec_, translator, videos, a.out, a.threads, device=device)
    Path(a.out, "DONE").write_text(f"{len(videos)} transcripts, {n} sentences\n")
    log.info("translated %d sentences of %d videos on %s -> %s", n, len(videos), device, a.out)
