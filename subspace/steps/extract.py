"""Raw media of one shard of a task's videos -> embeddings with a frozen encoder (an HDF5 shard store)."""
from __future__ import annotations

import json
import logging
import time

from ..config.model import Config, default
from . import parser
from .store import spec as store_spec

log = logging.getLogger("subspace.extract")


def encoder_spec(cfg, name: str, step: str = "extract") -> dict:
    """An encoder's settings as a job uses them: its name, the device its rule declared, its token limit."""
    from ..torchjob import placement
    enc = cfg.encoders[name]
    out = enc.model_dump(exclude_none=True)
    out.update(name=name, device=placement(cfg, step, encoder=name).device)
    if enc.kind in ("text", "translation"):
        out["max_length"] = enc.token_limit()
    return out


def spec(cfg, task: str, feature: str) -> dict:
    """The task's data settings and the feature's encoder. A feature with `layers` is extracted with its layer
    features in one pass (encoder ``layers``: its `layer` first, then `layers`, side by side); ``block`` says which
    of them a feature is (:meth:`~subspace.config.model.Task.layer_family`), for `merge_embeddings`."""
    t = cfg.tasks[task]
    family, block, blocks = t.layer_family(feature)
    encoder = encoder_spec(cfg, t.features[family].source)
    out = {**store_spec(cfg, task), "encoder": encoder}
    if blocks > 1:
        encoder["layers"] = [encoder["layer"], *t.features[family].layers]
        out["block"] = [block, blocks]
    return out


def shard_arguments(p, task_required: bool = True) -> None:
    p.add_argument("--task", required=task_required)
    p.add_argument("--feature", required=task_required)
    p.add_argument("--spec", required=True, help="JSON: the task's data settings and the encoder")
    p.add_argument("--shard", type=int, required=True, help="this job's shard k (videos k, k+n, k+2n, ...)")
    p.add_argument("--n-shards", type=int, required=True, help="n")
    p.add_argument("--out", required=True)
    p.add_argument("--threads", type=int, default=default(Config, "threads_per_job"), help="torch CPU threads")


def build_parser():
    p = parser(__doc__, "extract")
    shard_arguments(p)
    p.add_argument("--transcripts", help="folder of (translated) transcripts instead of the configured ones")
    return p


def execute(a) -> None:
    from .. import embed, torchjob
    spec_ = json.loads(a.spec)
    encoder = spec_["encoder"]
    device = torchjob.start(encoder.get("device", "cpu"), a.threads, f"encoders.{encoder.get('name')}.device")
    start = time.perf_counter()
    emb = embed.extract_shard(spec_, encoder, a.feature, a.shard, a.n_shards, a.threads,
                              transcript_root=a.transcripts, device=device,
                              **{k: v for k, v in spec_.get("checks", {}).items() if k == "max_empty_share"})
    embed.write_shard(a.out, emb, {"task": a.task, "feature": a.feature, "encoder": encoder,
                                   "targets": spec_["targets"], "source": encoder.get("model", "")})
    log.info("%s/%s shard %d/%d on %s: %d samples, dim %d, %.1f s -> %s", a.task, a.feature, a.shard, a.n_shards,
             device, len(emb.sample_ids), emb.dim, time.perf_counter() - start, a.out)
