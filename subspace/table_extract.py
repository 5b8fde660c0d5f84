"""Raw media of a sample table's rows -> one extraction shard's samples (the `table` layout).

- ``audio``: each row's segment ``[start, end)`` is cut from its file and embedded alone (the encoder sees only
  the utterance, as an utterance-level corpus is meant; a row without start/end is its whole file); frames are
  pooled per ``pool_ms`` from the segment's start.
- ``video``: the file's frames sampled at ``fps`` whose time lies in the segment, pooled per ``pool_ms`` from its
  start.
- ``text``: the row's text, one embedding (a sequence of one step).

A shard takes whole files (audio, video: a file is decoded once, every row of it cut from it) or rows (text),
round-robin in the table's order (:func:`subspace.samples.table_units`). A row with nothing to embed (a segment
beyond its file's end or shorter than the model's receptive field, an empty text) becomes one zero vector, named in
the log, as an empty window does in the MuSe layouts; the store's empty share is checked when the shards merge.
"""
from __future__ import annotations

import logging

import numpy as np
from tqdm import tqdm

from . import media
from .data import Samples
from .encoders import AudioEncoder, TextEncoder, VideoEncoder, _set_determinism
from .errors import InputError
from .samples import TABLE_NEEDS, Sample, list_samples, shard_videos, table_units
from .store import Embeddings, RowStats

log = logging.getLogger(__name__)


def shard_samples(spec: dict, kind: str, shard: int, n_shards: int) -> list[Sample]:
    """The rows of one shard's files (or, for text, the shard's rows), in the table's order."""
    samples = list_samples(spec, TABLE_NEEDS.get(kind, ()))
    mine = set(shard_videos(table_units(samples, kind), shard, n_shards))
    return [s for s in samples if (s.sample_id if kind == "text" else s.video) in mine]


def segment_of(wav: np.ndarray, sr: int, smp: Sample) -> np.ndarray:
    """The row's samples of a signal (all of it without start/end)."""
    if smp.start is None:
        return wav
    return wav[smp.start * sr // 1000:smp.end * sr // 1000]


def audio_rows(enc: AudioEncoder, samples: list[Sample], batch_size: int, group_batches: int = 4):
    """Per row (step times ms, pooled rows, why it is empty or None). Segments of several files are embedded
    together, longest first, in groups of about ``group_batches`` batches of chunks (memory stays bounded)."""
    by_file: dict[str, list[Sample]] = {}
    for smp in samples:
        by_file.setdefault(smp.video, []).append(smp)
    group, n_chunks, found = [], 0, {}
    for path, rows in tqdm(by_file.items(), desc="audio", mininterval=5):
        wav = media.read_wav(path, enc.sr)
        for smp in rows:
            cut = segment_of(wav, enc.sr, smp)
            group.append((smp, cut, len(wav) / enc.sr))
            n_chunks += max(1, -(-len(cut) // enc.chunk))
        if n_chunks >= group_batches * batch_size:
            found.update(_embed_segments(enc, group, batch_size))
            group, n_chunks = [], 0
    found.update(_embed_segments(enc, group, batch_size))
    return [found[smp.sample_id] for smp in samples]


def _embed_segments(enc: AudioEncoder, group: list, batch_size: int) -> dict:
    out = {}
    frames = enc.frames_many([cut for _, cut, _ in group], batch_size) if group else []
    for (smp, cut, seconds), (times, rows) in zip(group, frames):
        if not len(times):
            where = f"[{smp.start / 1000:g}, {smp.end / 1000:g}) s" if smp.start is not None else "the file"
            cause = (f"the segment {where} lies beyond the end of {smp.video} ({seconds:g} s)" if not len(cut) else
                     f"the segment {where} ({len(cut)} samples) is shorter than the model's receptive field")
            out[smp.sample_id] = (np.zeros(0, np.int64), None, cause)
            continue
        t, x = media.pool_windows(times, rows, enc.pool_ms)
        out[smp.sample_id] = (t + (smp.start or 0), x, None)
    return out


def video_rows(enc: VideoEncoder, samples: list[Sample], batch_size: int, pool_ms: int):
    """Per row (frame-window times ms, pooled rows, why it is empty or None): each file's frames once, every row's
    segment cut from them."""
    by_file: dict[str, list[Sample]] = {}
    for smp in samples:
        by_file.setdefault(smp.video, []).append(smp)
    found = {}
    for path, rows in tqdm(by_file.items(), desc="video", mininterval=5):
        times, frames = enc.embed_video(path, None, batch_size)
        for smp in rows:
            inside = np.ones(len(times), bool) if smp.start is None else (times >= smp.start) & (times < smp.end)
            if not inside.any():
                span = f"{int(times.min())}-{int(times.max())} ms" if len(times) else "none"
                found[smp.sample_id] = (np.zeros(0, np.int64), None, f"no frame of {path} in [{smp.start}, {smp.end}) "
                                                                     f"ms (its frames: {span})")
                continue
            t, x = media.pool_windows(times[inside], frames[inside], pool_ms, offset_ms=smp.start or 0)
            found[smp.sample_id] = (t, x, None)
    return [found[smp.sample_id] for smp in samples]


def text_rows(enc: TextEncoder, samples: list[Sample], batch_size: int):
    """Per row (its start or 0, one embedding, why it is empty or None)."""
    texts = [smp.text or "" for smp in samples]
    given = [i for i, text in enumerate(texts) if text]
    x = enc.embed_texts([texts[i] for i in given], batch_size)
    rows = dict(zip(given, x))
    return [(np.array([smp.start or 0], np.int64), rows[i][None, :], None) if i in rows else
            (np.zeros(0, np.int64), None, "its text is empty") for i, smp in enumerate(samples)]


def extract_table_shard(spec: dict, encoder: dict, feature: str, shard: int, n_shards: int, threads: int = 1,
                        device=None) -> Embeddings:
    """The samples of one shard of a table task, cut from their media and embedded."""
    from .embed import dim_names
    kind, batch_size = encoder["kind"], int(encoder.get("batch_size", 8))
    samples = shard_samples(spec, kind, shard, n_shards)
    if not samples:
        raise InputError(spec["table"], f"shard {shard} of {n_shards} has no rows (more shards than files?)")
    _set_determinism(threads)
    if kind == "audio":
        enc = AudioEncoder(encoder, device)
        rows = audio_rows(enc, samples, batch_size)
    elif kind == "video":
        enc = VideoEncoder(dict(encoder, pool_ms=0), device)  # every frame: pooled per row, from its start
        rows = video_rows(enc, samples, batch_size, int(encoder.get("pool_ms", 500)))
    else:
        enc = TextEncoder(encoder, device)
        rows = text_rows(enc, samples, batch_size)
    out, train_rows = Samples(), RowStats()
    for smp, (t, x, empty_cause) in zip(samples, rows):
        if empty_cause is None:
            out.add(x.astype(np.float32), t.astype(np.int64), smp.sample_id, smp.partition, smp.label, smp.group,
                    smp.subject)
            if smp.partition == "train":
                train_rows.add(x)  # the scaler sees every row of the training samples
            continue
        log.warning("%s: empty, became one zero vector: %s", smp.sample_id, empty_cause)
        out.add(np.zeros((1, enc.dim), np.float32), np.array([smp.start or 0], np.int64), smp.sample_id,
                smp.partition, smp.label, smp.group, smp.subject, empty=True)
    if any(out.empty):
        log.warning("%d samples had nothing to embed and became one zero vector (named above)", sum(out.empty))
    return out.embeddings(dim_names(encoder, enc.dim, feature), train_rows, {"shard": shard, "n_shards": n_shards})

