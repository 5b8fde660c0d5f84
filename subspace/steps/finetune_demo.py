"""Demo only: one WAV per demo video (tones whose loudness encodes the labels) and a tiny random wav2vec 2.0."""
from __future__ import annotations

import json
import logging

from . import parser

log = logging.getLogger("subspace.finetune_demo")


def spec(cfg, task: str) -> dict:
    f, t = cfg.finetune[task], cfg.tasks[task]
    return {**f.demo.model_dump(), "model": f.model, "audio_dir": f.audio_dir, "partition_file": t.partition_file,
            "label_file": t.label_file, "targets": t.targets, "seed": cfg.demo.seed}


def build_parser():
    p = parser(__doc__, "finetune_demo")
    p.add_argument("--spec", required=True, help="JSON: clip length, sampling rate, hidden size, paths, seed")
    return p


def execute(a) -> None:
    from .. import finetune
    spec_ = json.loads(a.spec)
    finetune.make_demo_audio(spec_["partition_file"], spec_["label_file"], spec_["audio_dir"], spec_["targets"],
                             spec_["seconds"], spec_["sampling_rate"], spec_["seed"])
    finetune.build_tiny_wav2vec2(spec_["model"], spec_["hidden_size"], spec_["sampling_rate"], spec_["seed"])
    log.info("demo audio in %s, tiny wav2vec 2.0 in %s", spec_["audio_dir"], spec_["model"])
