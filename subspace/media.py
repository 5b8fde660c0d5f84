"""Readers for raw MuSe media: audio (WAV), video (MP4 or frame folders), transcripts, py-feat FAUs.

Where the files are is given by path templates in the config (``tasks.<task>.media``), with
``{subject}`` (Humor: the coach folder) and ``{video}`` (the video id) filled in, e.g.
``/data/c2_muse_humor/raw/audio/{subject}/{video}.wav``.

Samples follow the CSV readers in :mod:`subspace.data` exactly: Humor has one sample per label row
(its ``[timestamp_start, timestamp_end)`` window of the video), Mimic one sample per video.
Every problem raises :class:`~subspace.errors.InputError` naming the file.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from math import gcd
from pathlib import Path

import numpy as np
import pandas as pd

from . import data
from .errors import InputError

log = logging.getLogger(__name__)

# py-feat's 20 action units (Detector output columns), the names kept as dimension names
FAU_NAMES = ["AU01", "AU02", "AU04", "AU05", "AU06", "AU07", "AU09", "AU10", "AU11", "AU12",
             "AU14", "AU15", "AU17", "AU20", "AU23", "AU24", "AU25", "AU26", "AU28", "AU43"]
FACE_BOX = ["FaceRectX", "FaceRectY", "FaceRectWidth", "FaceRectHeight"]
VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv", ".webm")
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp")
TRANSCRIPT_DEFAULTS = {"sentence": "sentence_id", "text": "word", "start": "start", "end": "end", "unit": "ms"}


# ----------------------------------------------------------------------------------- samples
@dataclass(frozen=True)
class Sample:
    subject: str          # Humor: coach; Mimic: the video id
    video: str
    sample_id: str
    partition: str
    label: tuple
    start: int | None     # window in ms; None = the whole video
    end: int | None


def list_videos(spec: dict) -> list[tuple[str, str]]:
    """(subject, video) pairs in the stores' order, read from the partition and label layout only."""
    partition_of = data.read_partition(Path(spec["partition_file"]))
    if spec["layout"] == "mimic":
        return [(v, v) for v in partition_of]
    out = []
    for coach, partition in partition_of.items():  # the partition file's order, as the CSV readers
        files = sorted((Path(spec["label_dir"]) / coach).glob("*.csv"))
        if not files and partition != "test":
            raise InputError(Path(spec["label_dir"]) / coach, f"no label CSVs for {partition} coach '{coach}'")
        out += [(coach, f.stem) for f in files]
    return out


def shard_videos(videos: list, shard: int, n_shards: int) -> list:
    """Round-robin: shard k gets every n-th video, so shards are balanced in count."""
    if not 0 <= shard < n_shards:
        raise ValueError(f"shard {shard} is not in 0..{n_shards - 1}")
    return videos[shard::n_shards]


def list_samples(spec: dict) -> list[Sample]:
    """Every sample (same ids, partitions and labels as the CSV readers), in store order."""
    partition_of = data.read_partition(Path(spec["partition_file"]))
    targets = spec["targets"]
    out = []
    if spec["layout"] == "humor":
        for coach, video in list_videos(spec):
            label_file = Path(spec["label_dir"]) / coach / f"{video}.csv"
            df = data.read_csv(label_file, ("segment_id", "timestamp_start", "timestamp_end"))
            partition = partition_of[coach]
            if df.iloc[:, -1].isna().any() and partition != "test":
                raise InputError(label_file, "missing label values")
            for row in df.itertuples(index=False):
                start, end = int(row.timestamp_start), int(row.timestamp_end)
                out.append(Sample(coach, video, f"{coach}/{video}/{row.segment_id}/{start}", partition,
                                  (float(row[-1]),), start, end))
        return out
    label_file = Path(spec["label_file"])
    df = data.read_csv(label_file, ("filename",), dtype={"filename": str})
    cols = list(df.columns[1:])
    if len(cols) != len(targets):
        raise InputError(label_file, f"expected {len(targets)} label columns after 'filename', found {cols}")
    label_of = dict(zip(df["filename"].astype(str).str.strip('"'), df[cols].to_numpy(np.float32)))
    for video, partition in partition_of.items():
        if video in label_of:
            label = tuple(float(x) for x in label_of[video])
        elif partition == "test":
            label = tuple([float("nan")] * len(targets))
        else:
            raise InputError(label_file, f"no labels for {partition} video '{video}'")
        out.append(Sample(video, video, video, partition, label, None, None))
    return out


def media_path(spec: dict, key: str, subject: str, video: str) -> Path:
    media = spec.get("media") or {}
    if not media.get(key):
        raise InputError("config/config.yaml", f"tasks.<task>.media.{key} (a path template) is not set")
    return Path(media[key].format(subject=subject, video=video))


# ------------------------------------------------------------------------------------- audio
def read_wav(path, sampling_rate: int) -> np.ndarray:
    """Mono float32 samples at ``sampling_rate`` (channels averaged, polyphase resampling)."""
    import soundfile as sf
    from scipy.signal import resample_poly

    path = Path(path)
    if not path.exists():
        raise InputError(path, "audio file does not exist")
    try:
        wav, sr = sf.read(str(path), dtype="float32", always_2d=True)
    except (RuntimeError, sf.LibsndfileError) as exc:
        raise InputError(path, f"cannot decode audio (not a WAV/FLAC file?): {exc}") from None
    wav = wav.mean(axis=1)
    if len(wav) == 0:
        raise InputError(path, "audio file has no samples")
    if sr != sampling_rate:
        g = gcd(int(sr), int(sampling_rate))
        wav = resample_poly(wav, sampling_rate // g, sr // g).astype(np.float32)
    return wav


# ------------------------------------------------------------------------------------- video
def read_frames(path, fps: float) -> list[tuple[int, np.ndarray]]:
    """All of :func:`iter_frames` as a list (short videos and tests)."""
    return list(iter_frames(path, fps))


def iter_frames(path, fps: float):
    """(timestamp ms, H x W x 3 uint8 RGB) frames sampled at ``fps``, decoded as they are consumed.

    ``path`` is a video file (decoded with PyAV) or a folder of images named by their timestamp
    in milliseconds (``0.jpg``, ``500.jpg``, ...), which are used as they are.
    """
    path = Path(path)
    if path.is_dir():
        files = sorted((p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES), key=lambda p: p.stem)
        try:
            stamped = sorted((int(p.stem), p) for p in files)
        except ValueError:
            raise InputError(path, "frame images must be named <timestamp in ms>.<jpg|png>") from None
        if not stamped:
            raise InputError(path, "frame folder holds no images")
        from PIL import Image
        for ts, p in stamped:
            yield ts, np.asarray(Image.open(p).convert("RGB"))
        return
    if not path.exists():
        candidates = [path.with_suffix("")] if path.suffix else []
        raise InputError(path, "video file does not exist" + (
            f" (nor a frame folder {candidates[0]})" if candidates and not candidates[0].exists() else ""))
    import av
    n, step, next_ms = 0, 1000.0 / fps, 0.0
    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            for frame in container.decode(stream):
                if frame.pts is None:
                    continue
                ms = float(frame.pts * frame.time_base * 1000)
                if ms + 1e-6 >= next_ms:
                    n += 1
                    yield int(round(ms)), frame.to_ndarray(format="rgb24")
                    next_ms = (np.floor(ms / step + 1e-9) + 1) * step
    except (av.error.FFmpegError, IndexError) as exc:
        raise InputError(path, f"cannot decode video: {exc}") from None
    if not n:
        raise InputError(path, "video has no decodable frames")


def read_face_boxes(path, fps: float | None = None) -> pd.DataFrame:
    """Face boxes per frame from a py-feat CSV (FaceRectX/Y/Width/Height): columns time_ms + box."""
    df = read_pyfeat(path, fps, columns=FACE_BOX)
    return df


def crop(image: np.ndarray, box) -> np.ndarray:
    x, y, w, h = (float(v) for v in box)
    x0, y0 = max(int(np.floor(x)), 0), max(int(np.floor(y)), 0)
    x1, y1 = min(int(np.ceil(x + w)), image.shape[1]), min(int(np.ceil(y + h)), image.shape[0])
    if x1 - x0 < 2 or y1 - y0 < 2:
        return image
    return image[y0:y1, x0:x1]


# -------------------------------------------------------------------------------- transcripts
def read_transcript(path, columns: dict | None = None) -> pd.DataFrame:
    """Timed words or sentences -> one row per sentence: start (ms), end (ms), text.

    Rows sharing ``columns['sentence']`` are joined in order (word-level transcripts); without that
    column every row is a sentence. ``columns['unit']`` is ``ms`` or ``s``.
    """
    cols = dict(TRANSCRIPT_DEFAULTS, **(columns or {}))
    path = Path(path)
    df = data.read_csv(path, (cols["text"], cols["start"], cols["end"]), dtype={cols["text"]: str})
    df = df.dropna(subset=[cols["text"]])
    scale = {"ms": 1.0, "s": 1000.0}[cols["unit"]]
    try:
        start = df[cols["start"]].astype(float).to_numpy() * scale
        end = df[cols["end"]].astype(float).to_numpy() * scale
    except ValueError as exc:
        raise InputError(path, f"non-numeric start/end times: {exc}") from None
    if (end < start).any():
        raise InputError(path, f"a row ends before it starts (row {int(np.argmax(end < start)) + 2})")
    frame = pd.DataFrame({"start": start, "end": end, "text": df[cols["text"]].astype(str).str.strip()})
    if cols["sentence"] in df.columns:
        frame["sentence"] = df[cols["sentence"]].to_numpy()
        frame = frame.groupby("sentence", sort=False).agg(
            start=("start", "min"), end=("end", "max"), text=("text", " ".join)).reset_index(drop=True)
    frame["start"] = frame["start"].round().astype(np.int64)
    frame["end"] = frame["end"].round().astype(np.int64)
    return frame[frame.text.str.len() > 0].reset_index(drop=True)


def write_transcript(path, sentences: pd.DataFrame, columns: dict | None = None) -> None:
    """Write sentences (start, end, text in ms) in the transcript format ``read_transcript`` reads."""
    from .atomic import write_csv
    cols = dict(TRANSCRIPT_DEFAULTS, **(columns or {}))
    scale = {"ms": 1.0, "s": 1000.0}[cols["unit"]]
    out = pd.DataFrame({cols["sentence"]: np.arange(1, len(sentences) + 1), cols["text"]: sentences["text"].values,
                        cols["start"]: sentences["start"].values / scale, cols["end"]: sentences["end"].values / scale})
    if cols["unit"] == "ms":
        out[cols["start"]] = out[cols["start"]].astype(np.int64)
        out[cols["end"]] = out[cols["end"]].astype(np.int64)
    write_csv(path, out, float_format=None)


# -------------------------------------------------------------------------------------- FAUs
def _parse_time(values, path) -> np.ndarray:
    """py-feat's ``approx_time``: seconds as numbers or ``HH:MM:SS(.fff)`` strings -> ms."""
    s = pd.Series(values)
    if pd.api.types.is_numeric_dtype(s):
        return (s.to_numpy(float) * 1000).round().astype(np.int64)
    try:
        return (pd.to_timedelta(s.astype(str)).dt.total_seconds().to_numpy() * 1000).round().astype(np.int64)
    except ValueError as exc:
        raise InputError(path, f"cannot parse approx_time values: {exc}") from None


def read_pyfeat(path, fps: float | None, columns=FAU_NAMES) -> pd.DataFrame:
    """A py-feat Detector CSV (one row per detected face and frame) -> one row per frame.

    Time comes from ``timestamp`` (ms), else ``approx_time`` (s or HH:MM:SS.fff), else ``frame``
    divided by ``fps``. With several faces in a frame the one with the highest ``FaceScore`` is
    kept; frames without a face (NaN values) are dropped.
    """
    path = Path(path)
    df = data.read_csv(path, tuple(columns))
    if "timestamp" in df.columns:
        ms = df["timestamp"].to_numpy(np.int64)
    elif "approx_time" in df.columns:
        ms = _parse_time(df["approx_time"], path)
    elif "frame" in df.columns:
        if not fps:
            raise InputError(path, "has only a 'frame' column: set the video frame rate (fau_fps) in the config")
        ms = (df["frame"].to_numpy(float) * 1000.0 / fps).round().astype(np.int64)
    else:
        raise InputError(path, "needs a 'timestamp', 'approx_time' or 'frame' column for the time of each row")
    out = pd.DataFrame(df[list(columns)].to_numpy(np.float32), columns=list(columns))
    out.insert(0, "time_ms", ms)
    out["_score"] = df["FaceScore"].to_numpy(float) if "FaceScore" in df.columns else 0.0
    out = out.dropna(subset=list(columns))
    out = (out.sort_values(["time_ms", "_score"], ascending=[True, False], kind="stable")
           .drop_duplicates("time_ms").drop(columns="_score").reset_index(drop=True))
    return out


# --------------------------------------------------------------------------------- pooling
def pool_windows(times_ms: np.ndarray, values: np.ndarray, pool_ms: int, offset_ms: int = 0):
    """Mean of the rows in each ``pool_ms`` window (windows start at ``offset_ms``); empty ones dropped.

    Returns (window start times in ms, pooled rows). ``pool_ms`` 0 keeps every row as it is.
    """
    times_ms = np.asarray(times_ms)
    if pool_ms <= 0 or len(times_ms) == 0:
        return np.asarray(times_ms, np.int64), np.asarray(values, np.float32)
    idx = np.floor((times_ms - offset_ms) / pool_ms).astype(np.int64)
    uniq, inverse = np.unique(idx, return_inverse=True)
    sums = np.zeros((len(uniq), values.shape[1]), np.float64)
    np.add.at(sums, inverse, values)
    counts = np.bincount(inverse, minlength=len(uniq))[:, None]
    return (offset_ms + uniq * pool_ms).astype(np.int64), (sums / counts).astype(np.float32)
