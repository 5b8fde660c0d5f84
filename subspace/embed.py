"""Raw media -> embeddings with frozen pre-trained encoders (:mod:`subspace.encoders`), written as HDF5 embedding
stores.

Encoders (``encoder['kind']``):

- ``audio``: any HuggingFace wav2vec 2.0-style model (``AutoModel`` with a feature extractor);
  hidden states of one layer (``layer``: index into ``hidden_states``, -1 = last) or the mean of
  all transformer layers (``layer: mean``); the audio is cut into ``chunk_s`` chunks, batched with
  padding and attention masks, and the frames (20 ms for 16 kHz models) are mean-pooled per
  ``pool_ms`` window (500 ms like the organisers' features).
- ``text``: BERT / multilingual BERT / ELECTRA (any ``AutoModel`` encoder with a tokenizer):
  one embedding per transcript sentence, ``pooling: cls`` or ``mean`` (masked).
- ``video``: ViT on frames sampled at ``fps``, cropped to the face where face boxes are
  configured (py-feat CSVs), else whole frames; CLS or mean over patches; pooled per ``pool_ms``.
- ``fau``: py-feat action-unit CSVs (the 20 AUs as dimensions), pooled per ``pool_ms``.
- ``translation``: FSMT German -> English of transcripts (:func:`translate_videos`).

A video's rows are cut into samples the way the CSV readers do it (:mod:`subspace.data`): Humor
takes the rows whose time lies in a label's ``[start, end)`` window (text: sentences overlapping
it), an empty window becomes one zero vector; Mimic takes the whole video. A sample table's rows:
:mod:`subspace.table_extract`.
"""
from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from . import datachecks, media
from .data import Samples
# the encoders, here too for the callers and tests that reach them through this module
from .encoders import (AudioEncoder, TextEncoder, Translator, VideoEncoder, _set_determinism, device_for,  # noqa: F401
                       encode, load_model, load_tokenizer, longest_first, select_layer)
from .errors import InputError, config_error
from .modelfolder import MODEL_HELP, check_model_folder, read_json_file  # noqa: F401 (re-exported)
from .samples import TABLE_NEEDS
from .store import Embeddings, RowStats, config_hash, read_embeddings, write_embeddings

log = logging.getLogger(__name__)


def translate_videos(spec: dict, encoder: dict, videos, out_root, threads: int = 1, device=None) -> int:
    """Translate every video's transcript; write ``out_root/<subject>/<video>.csv`` in the same format."""
    _set_determinism(threads)
    tr = Translator(encoder, device)
    cols = (spec.get("media") or {}).get("transcript_columns")
    transcripts = []
    for subject, video in videos:
        path = media.media_path(spec, "transcript", subject, video)
        # as in video_rows: a Mimic video may have no speech; a Humor transcript must be there
        transcripts.append(pd.DataFrame({"start": [], "end": [], "text": []})
                           if not path.exists() and spec["layout"] == "mimic" else media.read_transcript(path, cols))
    # the shard's sentences in one length-sorted pass (full batches across videos), then back to their videos
    english = tr.translate([t for sentences in transcripts for t in sentences["text"]], int(encoder.get("batch_size", 16)))
    n = 0
    for (subject, video), sentences in zip(videos, transcripts):
        sentences = sentences.assign(text=english[n:n + len(sentences)])
        media.write_transcript(Path(out_root) / subject / f"{video}.csv", sentences, cols)
        n += len(sentences)
    return n


# ------------------------------------------------------------------------------ per shard
def video_rows(spec: dict, encoder: dict, videos, threads: int = 1, transcript_root=None, device=None):
    """Embed each (subject, video): yields (subject, video, times ms, ends ms or None, rows)."""
    _set_determinism(threads)
    kind, bs = encoder["kind"], int(encoder.get("batch_size", 8))
    m = spec.get("media") or {}
    if kind == "audio":
        enc = AudioEncoder(encoder, device)
        paths = (media.media_path(spec, "audio", s, v) for s, v in tqdm(videos, desc="audio", mininterval=5))
        for (s, v), (t, x) in zip(videos, enc.embed_files(paths, bs)):
            yield s, v, t, None, x, enc.dim
    elif kind == "text":
        enc = TextEncoder(encoder, device)
        cols = m.get("transcript_columns")
        transcripts = []
        for s, v in videos:
            path = _media_file(spec, encoder, s, v, transcript_root)
            if not path.exists() and spec["layout"] == "mimic":
                transcripts.append(pd.DataFrame({"start": [], "end": [], "text": []}))
            else:
                transcripts.append(media.read_transcript(path, cols))
        # the shard's sentences in one length-sorted pass (full batches across videos), then back to their videos
        x = enc.embed_texts([t for sent in transcripts for t in sent["text"]], bs)
        n = 0
        for (s, v), sent in zip(videos, transcripts):
            yield s, v, sent["start"].to_numpy(np.int64), sent["end"].to_numpy(np.int64), x[n:n + len(sent)], enc.dim
            n += len(sent)
    elif kind == "video":
        enc = VideoEncoder(encoder, device)
        for s, v in tqdm(videos, desc="video", mininterval=5):
            boxes = None
            if m.get("face_boxes"):
                boxes = media.read_face_boxes(media.media_path(spec, "face_boxes", s, v), m.get("fau_fps"))
            t, x = enc.embed_video(media.media_path(spec, "video", s, v), boxes, bs)
            yield s, v, t, None, x, enc.dim
    elif kind == "fau":
        for s, v in tqdm(videos, desc="fau", mininterval=5):
            df = media.read_pyfeat(media.media_path(spec, "fau", s, v), m.get("fau_fps"))
            t, x = media.pool_windows(df["time_ms"].to_numpy(), df[media.FAU_NAMES].to_numpy(np.float32),
                                      int(encoder.get("pool_ms", 500)))
            yield s, v, t, None, x, len(media.FAU_NAMES)
    else:
        raise config_error(f"encoders.{encoder.get('name')}.kind", f"'{kind}' cannot make features")


def dim_names(encoder: dict, dim: int, feature: str) -> list[str]:
    return list(media.FAU_NAMES) if encoder["kind"] == "fau" else [f"{feature}_{i}" for i in range(dim)]


def extract_shard(spec: dict, encoder: dict, feature: str, shard: int, n_shards: int, threads: int = 1,
                  transcript_root=None, max_empty_share: float = datachecks.MAX_EMPTY_SHARE, device=None) -> Embeddings:
    """The samples of one shard's videos, cut from each video's embedded rows. A video with more than
    ``max_empty_share`` empty or all-zero windows is refused (the partitions are checked when shards merge). A
    table task's shard: :func:`subspace.table_extract.extract_table_shard`."""
    if spec["layout"] == "table":
        from .table_extract import extract_table_shard
        return extract_table_shard(spec, encoder, feature, shard, n_shards, threads, device)
    samples = media.list_samples(spec)
    videos = media.shard_videos(media.list_videos(spec), shard, n_shards)
    by_video: dict[tuple, list] = {}
    for smp in samples:
        by_video.setdefault((smp.subject, smp.video), []).append(smp)
    out, train_rows, dim = Samples(), RowStats(), None
    for s, v, t, ends, x, d in video_rows(spec, encoder, videos, threads, transcript_root, device):
        dim = d
        video_samples = by_video.get((s, v), [])
        if any(smp.partition == "train" for smp in video_samples):
            train_rows.add(x)  # the baseline's scaler sees every row of the training videos
        n_empty, first_empty = 0, None
        for smp in video_samples:
            if smp.start is None:
                mask = np.ones(len(t), bool)
            elif ends is not None:  # text: sentences overlapping the window
                mask = (t < smp.end) & (ends > smp.start)
            else:
                mask = (t >= smp.start) & (t < smp.end)
            if mask.any():
                n_empty += not x[mask].any()
                out.add(x[mask].astype(np.float32), np.asarray(t)[mask].astype(np.int64), smp.sample_id, smp.partition,
                        smp.label, smp.group, smp.subject)
                continue
            n_empty += 1  # as the baseline: an empty window is one zero vector
            first_empty = first_empty or smp
            log.warning("%s: empty, became one zero vector: %s", smp.sample_id, _empty_cause(encoder, t, ends, smp))
            out.add(np.zeros((1, d), np.float32), np.array([smp.start or 0], np.int64), smp.sample_id, smp.partition,
                    smp.label, smp.group, smp.subject, empty=True)
        share = datachecks.too_many_empty(n_empty, len(video_samples), max_empty_share) if video_samples else None
        if share and spec["layout"] == "humor":
            cause = _empty_cause(encoder, t, ends, first_empty) if first_empty else "their rows are all zero"
            raise InputError(_media_file(spec, encoder, s, v, transcript_root),
                             f"{n_empty} of the {len(video_samples)} label windows of video '{v}' are empty or "
                             f"all-zero {share}: {cause}; truncated media, media of another video, or label "
                             f"times in another unit than ms?")
    if dim is None:
        raise InputError(f"shard {shard}", f"shard {shard} of {n_shards} has no videos (more shards than videos?)")
    if any(out.empty):
        log.warning("%d samples had no rows and became one zero vector (named above)", sum(out.empty))
    return out.embeddings(dim_names(encoder, dim, feature), train_rows, {"shard": shard, "n_shards": n_shards})


def _media_file(spec: dict, encoder: dict, subject: str, video: str, transcript_root=None) -> Path:
    if encoder["kind"] == "text" and transcript_root:
        return Path(transcript_root) / subject / f"{video}.csv"
    key = {"text": "transcript"}.get(encoder["kind"], encoder["kind"])
    return media.media_path(spec, key, subject, video)


def _empty_cause(encoder: dict, t, ends, smp) -> str:
    what = {"text": "sentences", "fau": "frames with a face", "video": "frames", "audio": "audio frames"}.get(
        encoder["kind"], "rows")
    if len(t) == 0:
        return f"the video has no {what} at all"
    span = f"{int(np.min(t))}-{int(np.max(ends if ends is not None else t))} ms"
    return f"no {what} in [{smp.start}, {smp.end}) ms (the video's {what} span {span})"


def layer_block(emb: Embeddings, block: int | None, blocks: int, feature: str, layers=()) -> Embeddings:
    """Block ``block`` of ``blocks`` equal column blocks (one layer of a family's extraction, :func:`encode`),
    its dimensions named after ``feature``; an empty sample stays a zero row. ``block`` None: every block, the
    dimensions named by their layer (``layers``, in block order): `<feature>_L<k>_<i>`."""
    width = emb.dim // blocks
    dims = np.arange(emb.dim) if block is None else np.arange(block * width, (block + 1) * width)
    rows = emb.train_rows  # (a shard without training videos has empty statistics)
    out = dataclasses.replace(emb, train_rows=None).select_dims(dims)
    out.dim_names = ([f"{feature}_L{k}_{i}" for k in layers for i in range(width)] if block is None
                     else [f"{feature}_{i}" for i in range(width)])
    out.train_rows = rows.select(dims) if rows is not None and rows.count else rows
    return out


def merge_shards(spec: dict, paths: list, attrs: dict, max_empty_share: float = datachecks.MAX_EMPTY_SHARE,
                 max_robust_deviation: float = datachecks.MAX_ROBUST_DEVIATION,
                 feature: str | None = None) -> Embeddings:
    """Shard stores -> one store in the canonical sample order; every sample must be there once. A partition with
    more than ``max_empty_share`` empty or all-zero samples is refused, and so is a value beyond
    ``max_robust_deviation`` robust spreads of its dimension, named by its media file (:mod:`subspace.datachecks`).
    A spec with ``block`` (a feature family's shards, :func:`subspace.steps.extract.spec`): ``feature``'s layer."""
    samples = media.list_samples(spec, TABLE_NEEDS.get(spec["encoder"]["kind"], ()))
    order = {s.sample_id: i for i, s in enumerate(samples)}
    parts = [read_embeddings(p) for p in paths]
    if spec.get("block"):
        parts = [layer_block(e, *spec["block"], feature, spec["encoder"]["layers"]) for e in parts]
    names = parts[0].dim_names
    for p, e in zip(paths, parts):
        if e.dim_names != names:
            raise InputError(p, "dimension names differ from the other shards (mixed encoder settings?)")
    ids = np.concatenate([e.sample_ids for e in parts])
    unknown = [i for i in ids if i not in order]
    if unknown:
        raise InputError(paths[0], f"{len(unknown)} samples are not in the label files (e.g. {unknown[:3]}): stale shard?")
    pos = np.array([order[i] for i in ids])
    if len(set(pos)) != len(pos) or len(pos) != len(order):
        raise InputError(paths[0], f"shards hold {len(pos)} samples ({len(set(pos))} distinct), expected {len(order)}")
    perm = np.argsort(pos)
    partitions = np.concatenate([e.partitions for e in parts])
    for partition in ("train", "devel"):
        if not (partitions == partition).any():
            raise InputError(paths[0], f"the {partition} partition has no samples")
    train_rows = RowStats()
    for e in parts:
        if e.train_rows is not None:
            train_rows.merge(e.train_rows)
    merged = Embeddings([s for e in parts for s in e.sequences], [t for e in parts for t in e.timestamps], ids,
                        partitions, np.concatenate([e.labels for e in parts]), names, {},
                        empty=np.concatenate([e.empty for e in parts]), train_rows=train_rows,
                        groups=np.concatenate([e.groups for e in parts]),
                        subjects=np.concatenate([e.subjects for e in parts]))
    emb = merged.take(perm)
    emb.attrs = dict(attrs, empty_segments=int(emb.empty.sum()))
    file_of = media_file_of(spec, emb, samples)
    datachecks.record_empty(emb, max_empty_share, Path(paths[0]).parent, file_of)
    datachecks.check_extremes(datachecks.media_extremes(emb, file_of), emb.sequences, emb.empty, emb.dim_names,
                          max_robust_deviation)
    return emb


def media_file_of(spec: dict, emb: Embeddings, samples=()):
    """group -> the media file its rows came from (for messages), from the encoder's path template (a table
    task: the first file of the group's rows, or the table)."""
    if spec["layout"] == "table":
        first = {}
        for smp in samples:
            first.setdefault(smp.group, smp.video or spec["table"])
        return lambda group: first.get(group, spec["table"])
    subject_of = dict(zip(emb.groups, emb.subjects))

    def file_of(group):
        subject = subject_of[group]
        video = group.split("/", 1)[1] if group != subject else group
        try:
            return _media_file(spec, spec["encoder"], subject, video)
        except (InputError, KeyError):
            return f"video '{group}'"
    return file_of


def write_shard(out, emb: Embeddings, attrs: dict) -> None:
    emb.attrs.update(attrs)
    emb.attrs["config_hash"] = config_hash(attrs)
    write_embeddings(out, emb)
