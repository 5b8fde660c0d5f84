"""Readers for raw MuSe media: audio (WAV, or the audio track of an MP4/M4A/MP3), video (MP4 or frame
folders), transcripts, py-feat FAUs.

Where the files are is given by path templates in the config (``tasks.<task>.media``), with
``{subject}`` (Humor: the coach folder) and ``{video}`` (the video id) filled in, e.g.
``/data/c2_muse_humor/raw/audio/{subject}/{video}.wav``.

Which samples a task has (and so which windows of which media) is :mod:`subspace.samples`' (re-exported here).
Every problem raises :class:`~subspace.errors.InputError` naming the file.
"""
from __future__ import annotations

import logging
from math import gcd
from pathlib import Path

import numpy as np
import pandas as pd

from . import csvfile, names
from .errors import InputError, config_error
from .samples import Sample, list_samples, list_videos, shard_videos  # noqa: F401 (the samples of the media)

log = logging.getLogger(__name__)

# py-feat's 20 action units (Detector output columns), the names kept as dimension names
FAU_NAMES = ["AU01", "AU02", "AU04", "AU05", "AU06", "AU07", "AU09", "AU10", "AU11", "AU12",
             "AU14", "AU15", "AU17", "AU20", "AU23", "AU24", "AU25", "AU26", "AU28", "AU43"]
FACE_BOX = ["FaceRectX", "FaceRectY", "FaceRectWidth", "FaceRectHeight"]
VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv", ".webm")
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp")
TRANSCRIPT_DEFAULTS = {"sentence": "sentence_id", "text": "word", "start": "start", "end": "end", "unit": "ms"}


def media_path(spec: dict, key: str, subject: str, video: str) -> Path:
    media = spec.get("media") or {}
    if not media.get(key):
        raise config_error(f"tasks.<task>.media.{key}", "a path template is needed but not set")
    try:  # the file as named on disk, which may be another Unicode normalisation of the ids
        return names.resolve(Path(media[key].format(subject=subject, video=video)))
    except (KeyError, IndexError, ValueError) as exc:  # e.g. {coach} or a lone brace in the template
        raise config_error(f"tasks.<task>.media.{key}", f"'{media[key]}' is not a path template with only "
                                                       f"{{subject}} and {{video}} ({type(exc).__name__}: {exc})"
                           ) from None


# ------------------------------------------------------------------------------------- audio
def read_wav(path, sampling_rate: int) -> np.ndarray:
    """Mono float32 samples at ``sampling_rate`` (channels averaged, polyphase resampling).

    WAV/FLAC/OGG are read with soundfile; anything else FFmpeg decodes (the audio track of an MP4 video,
    M4A, MP3) with PyAV, so a template may point at the videos themselves.
    """
    import soundfile as sf
    from scipy.signal import resample_poly

    path = Path(path)
    if not path.exists():
        raise InputError(path, "audio file does not exist")
    try:
        wav, sr = sf.read(str(path), dtype="float32", always_2d=True)
        wav = wav.mean(axis=1)
    except (RuntimeError, sf.LibsndfileError) as exc:
        wav, sr = _decode_audio_track(path, exc)
    if len(wav) == 0:
        raise InputError(path, "audio file has no samples")
    if sr != sampling_rate:
        g = gcd(int(sr), int(sampling_rate))
        wav = resample_poly(wav, sampling_rate // g, sr // g).astype(np.float32)
    return wav


def _decode_audio_track(path: Path, soundfile_error: Exception) -> tuple[np.ndarray, int]:
    """The first audio stream of a file soundfile cannot read, mixed down to mono, at its own rate."""
    import av

    try:
        with av.open(str(path)) as container:
            if not container.streams.audio:
                raise InputError(path, "has no audio track")
            stream = container.streams.audio[0]
            rate = stream.rate or stream.codec_context.sample_rate
            # planar float, one row per channel, averaged as for WAVs (FFmpeg's own mono mix-down scales by
            # -3 dB per channel instead); the caller resamples
            resampler = av.AudioResampler(format="fltp", rate=rate)
            chunks = [out.to_ndarray().mean(axis=0) for frame in container.decode(stream)
                      for out in resampler.resample(frame)]
            chunks += [out.to_ndarray().mean(axis=0) for out in resampler.resample(None)]
    except (av.FFmpegError, ValueError, IndexError) as exc:
        raise InputError(path, f"cannot decode audio (soundfile: {soundfile_error}; FFmpeg: {exc})") from None
    return (np.concatenate(chunks).astype(np.float32) if chunks else np.zeros(0, np.float32)), int(rate)


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
        files = [p for p in names.entries(path).values() if p.suffix.lower() in IMAGE_SUFFIXES]
        try:
            stamped = sorted((int(p.stem), p) for p in files)
        except ValueError:
            raise InputError(path, "frame images must be named <timestamp in ms>.<jpg|png>") from None
        if not stamped:
            raise InputError(path, "frame folder holds no images")
        if stamped[0][0] < 0:
            raise InputError(stamped[0][1], "negative timestamp in the file name (frames count from the video's start)")
        from PIL import Image, UnidentifiedImageError
        for ts, p in stamped:
            try:
                with Image.open(p) as image:
                    rgb = np.asarray(image.convert("RGB"))
            except (UnidentifiedImageError, OSError, ValueError) as exc:
                raise InputError(p, f"cannot read the frame image (truncated or not an image?): {exc}") from None
            yield ts, rgb
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

    Rows sharing ``columns['sentence']`` are joined in time order (word-level transcripts); without
    that column every row is a sentence. ``columns['unit']`` is ``ms`` or ``s``. The text is read as
    written (a word ``null`` or ``NA`` is a word); rows out of time order are sorted (logged); a
    negative time, a row that ends before it starts and a row written twice are errors.
    """
    cols = dict(TRANSCRIPT_DEFAULTS, **(columns or {}))
    path = Path(path)
    df = csvfile.read_csv(path, (cols["text"], cols["start"], cols["end"]), text=(cols["text"], cols["sentence"]))
    scale = time_scale(cols["unit"])
    start = csvfile.numeric_column(df, cols["start"], path, "start time") * scale
    end = csvfile.numeric_column(df, cols["end"], path, "end time") * scale
    for values, name in ((start, cols["start"]), (end, cols["end"])):
        for bad, problem in ((~np.isfinite(values), "missing time"), (values < 0, "negative time")):
            if bad.any():
                i = int(np.argmax(bad))
                raise InputError(path, f"{problem} '{df[name].iloc[i]}' (row {csvfile.row_of(i)}, column '{name}')")
    if (end < start).any():
        raise InputError(path, f"a row ends before it starts (row {csvfile.row_of(int(np.argmax(end < start)))})")
    frame = pd.DataFrame({"start": start, "end": end, "text": df[cols["text"]].astype(str).str.strip()})
    sentence = cols["sentence"] in df.columns
    if sentence:
        frame["sentence"] = csvfile.text_column(df, cols["sentence"]).to_numpy()
    repeated = frame.duplicated().to_numpy()
    if repeated.any():
        i = int(np.argmax(repeated))
        raise InputError(path, f"row {csvfile.row_of(i)} repeats an earlier row (same sentence, time and text): "
                               f"duplicated rows?")
    order = np.argsort(frame["start"].to_numpy(), kind="stable")
    if (order != np.arange(len(frame))).any():
        log.info("%s: rows are not in time order: sorted by their start time", path)
        frame = frame.iloc[order].reset_index(drop=True)
    if sentence:
        frame = frame[frame.text.str.len() > 0].groupby("sentence", sort=False).agg(
            start=("start", "min"), end=("end", "max"), text=("text", " ".join)).reset_index(drop=True)
    frame["start"] = frame["start"].round().astype(np.int64)
    frame["end"] = frame["end"].round().astype(np.int64)
    return frame.loc[frame.text.str.len() > 0, ["start", "end", "text"]].reset_index(drop=True)


def time_scale(unit: str) -> float:
    """Milliseconds per unit of a transcript's times."""
    if unit not in ("ms", "s"):
        raise config_error("tasks.<task>.media.transcript_columns.unit", f"'{unit}' is not 'ms' or 's'")
    return {"ms": 1.0, "s": 1000.0}[unit]


def write_transcript(path, sentences: pd.DataFrame, columns: dict | None = None) -> None:
    """Write sentences (start, end, text in ms) in the transcript format ``read_transcript`` reads."""
    from .atomic import write_csv
    cols = dict(TRANSCRIPT_DEFAULTS, **(columns or {}))
    scale = time_scale(cols["unit"])
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
        return s.to_numpy(float) * 1000
    try:
        return pd.to_timedelta(s.astype(str)).dt.total_seconds().to_numpy() * 1000
    except ValueError as exc:
        raise InputError(path, f"cannot parse approx_time values: {exc}") from None


def read_pyfeat(path, fps: float | None, columns=FAU_NAMES) -> pd.DataFrame:
    """A py-feat Detector CSV (one row per detected face and frame) -> one row per frame.

    Time comes from ``timestamp`` (ms), else ``approx_time`` (s or HH:MM:SS.fff), else ``frame``
    divided by ``fps``. With several faces in a frame the one with the highest ``FaceScore`` is
    kept; frames without a face (NaN values) are dropped.
    """
    path = Path(path)
    df = csvfile.read_csv(path, tuple(columns), text=("input",))
    if "timestamp" in df.columns:
        column, ms = "timestamp", csvfile.numeric_column(df, "timestamp", path, "timestamp")
    elif "approx_time" in df.columns:
        column, ms = "approx_time", _parse_time(df["approx_time"], path)
    elif "frame" in df.columns:
        if not fps:
            raise InputError(path, "has only a 'frame' column: set the video frame rate (fau_fps) in the config")
        column, ms = "frame", csvfile.numeric_column(df, "frame", path, "frame number") * 1000.0 / fps
    else:
        raise InputError(path, "needs a 'timestamp', 'approx_time' or 'frame' column for the time of each row")
    for bad, problem in ((~np.isfinite(ms), "missing time"), (ms < 0, "negative time")):
        if bad.any():  # several faces may share a frame's time (the best one is kept below)
            i = int(np.argmax(bad))
            raise InputError(path, f"{problem} '{df[column].iloc[i]}' (row {csvfile.row_of(i)}, column '{column}')")
    ms = ms.round().astype(np.int64)
    values = np.stack([csvfile.numeric_column(df, c, path, "value") for c in columns], axis=1).astype(np.float32)
    out = pd.DataFrame(values, columns=list(columns))
    out.insert(0, "time_ms", ms)
    out["_score"] = csvfile.numeric_column(df, "FaceScore", path, "face score") if "FaceScore" in df.columns else 0.0
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
