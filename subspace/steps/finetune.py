"""Fine-tune wav2vec 2.0 end to end with the batch-level Pearson loss (Mimic layout): the head sees every
final-layer dimension (variant ``full``) or only a selection's kept ones (``--selection``)."""
from __future__ import annotations

import json
import logging

from ..config.model import Config, default
from . import parser

log = logging.getLogger("subspace.finetune")
TRAIN_KEYS = ("batch_size", "max_epochs", "lr", "head_dim", "freeze_feature_encoder", "max_seconds")


def spec(cfg, task: str) -> dict:
    from ..torchjob import placement
    f, t = cfg.finetune[task], cfg.tasks[task]
    return {"model": f.model, "audio_dir": f.audio_dir, "partition_file": t.partition_file,
            "label_file": t.label_file, "targets": t.targets,
            "train": {**{k: getattr(f, k) for k in TRAIN_KEYS}, "device": placement(cfg, "finetune", task).device}}


def build_parser():
    p = parser(__doc__, "finetune")
    p.add_argument("--spec", required=True, help="JSON: model, audio, labels, training settings")
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--selection", help="a selection JSON: the head sees only its kept dimensions")
    p.add_argument("--out-dir", required=True)
    p.add_argument("--threads", type=int, default=default(Config, "threads_per_job"), help="torch CPU threads")
    return p


def execute(a) -> None:
    from .. import torchjob
    spec_ = json.loads(a.spec)
    device = torchjob.start(spec_["train"].get("device", "cpu"), a.threads, "finetune.<task>.device")
    from .. import finetune
    from ..errors import InputError
    cfg = finetune.FinetuneConfig(targets=spec_["targets"], seed=a.seed, **spec_["train"])
    dims = finetune.read_kept(a.selection) if a.selection else None
    extractor, _ = finetune.load_pretrained(spec_["model"])
    clips = finetune.load_clips(spec_["partition_file"], spec_["label_file"], spec_["audio_dir"], spec_["targets"],
                                extractor.sampling_rate, cfg.max_seconds)
    try:
        record = finetune.run(spec_["model"], clips, cfg, a.out_dir, dims=dims, threads=a.threads, device=device)
    except ValueError as exc:
        raise InputError(a.selection or spec_["model"], str(exc)) from None
    h = record["history"]
    log.info("Pearson loss epoch 1 -> %d: train %.4f -> %.4f, devel %.4f -> %.4f; scores %s", len(h),
             h[0]["train_loss"], h[-1]["train_loss"], h[0]["devel_loss"], h[-1]["devel_loss"], record["scores"])
