"""A demo dataset in the real MuSe 2023 on-disk layout, with a planted relevant sub-space.

Only the planted dimensions of each feature carry the label signal; every other dimension is
noise. ``planted.json`` records the truth, so the selection can be scored against it.
"""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd

from .atomic import atomic_path, write_csv, write_json
from .demo_files import RAW_FAU_TRUTH, RAW_MEDIA, humor_files, humor_subjects, mimic_files, mimic_videos  # noqa: F401

FRAME_MS = 500        # the organisers' features come every 500 ms
HUMOR_WINDOW_MS = 2000  # Humor labels cover 2 s
FAU_NAMES = ["AU01", "AU02", "AU04", "AU05", "AU06", "AU07", "AU09", "AU10", "AU11", "AU12",
             "AU14", "AU15", "AU17", "AU20", "AU23", "AU24", "AU25", "AU26", "AU28", "AU43"]


def dim_names(feature: str, dim: int) -> list[str]:
    if feature.startswith("fau") and dim == len(FAU_NAMES):
        return list(FAU_NAMES)
    return [f"{feature}_{i}" for i in range(dim)]


# Duchenne smile and laughter (cheek raiser, lip corner puller, lips part): the raw FAU truth
RAW_FAU_PLANTED = ("AU06", "AU12", "AU25")
NEUTRAL_WORDS = ("der trainer sagt die mannschaft hat heute gut gespielt wir sind zufrieden das war ein schweres "
                 "spiel aber die jungs haben gekämpft morgen trainieren wir").split()
FUNNY_WORDS = "haha lustig genau brille keine ahnung schiedsrichter".split()


def write_raw_humor(root, coach: str, video: str, labels: np.ndarray, raw: dict, rng) -> None:
    """One video's raw media in which the window labels are planted.

    audio (WAV, ``raw.sampling_rate``): noise, plus a tone in humorous windows; video (MP4,
    ``raw.video_fps``): noisy frames with a bright block in the face region in humorous windows;
    transcript (word-level CSV: sentence_id, word, start, end in ms): one sentence per window,
    humorous ones with laughter words; faces: py-feat-style face boxes and AU activations per frame
    (``RAW_FAU_PLANTED`` rise in humorous windows).
    """
    import av
    import soundfile as sf

    root, win_s = Path(root) / "raw", HUMOR_WINDOW_MS / 1000
    sr, fps, size, sig = raw["sampling_rate"], raw["video_fps"], raw["image_size"], raw["signal"]
    n = len(labels)

    def cues():
        """Humorous windows in which one modality shows its cue: each modality misses some on its
        own (``raw.cue_rate``), so no single one is perfect and fusing them helps."""
        return labels.astype(bool) & (rng.random(n) < raw.get("cue_rate", 1.0))

    # audio
    t = np.arange(int(n * win_s * sr)) / sr
    wav = 0.1 * rng.standard_normal(len(t))
    on = np.repeat(cues(), int(win_s * sr))
    wav[on] += sig * np.sin(2 * np.pi * (sr / 8) * t[on])
    with atomic_path(root / "audio" / coach / f"{video}.wav") as tmp:
        sf.write(tmp, (0.5 * wav).astype(np.float32), sr, subtype="PCM_16", format="WAV")
    # video: 4 px border around a face box
    n_frames, m = int(n * win_s * fps), 4
    bright = cues()
    path = root / "video" / coach / f"{video}.mp4"
    with atomic_path(path) as tmp:
        with av.open(str(tmp), "w", format="mp4") as out:
            stream = out.add_stream("mpeg4", rate=Fraction(fps).limit_denominator(1000))
            stream.width = stream.height = size
            stream.pix_fmt = "yuv420p"
            stream.bit_rate = 2_000_000
            for k in range(n_frames):
                img = (96 + 24 * rng.standard_normal((size, size, 3))).clip(0, 255)
                if bright[int(k / fps / win_s)]:
                    img[size // 2:size - m, m:size - m] += 255 * sig
                frame = av.VideoFrame.from_ndarray(img.clip(0, 255).astype(np.uint8), format="rgb24")
                for packet in stream.encode(frame):
                    out.mux(packet)
            for packet in stream.encode():
                out.mux(packet)
    # transcript: one sentence per 2 s window
    rows, funny = [], cues()
    for w in range(n):
        words = list(rng.choice(NEUTRAL_WORDS, size=int(rng.integers(2, 5))))
        if funny[w]:
            words.insert(int(rng.integers(0, len(words) + 1)), str(rng.choice(FUNNY_WORDS)))
        edges = np.linspace(w * HUMOR_WINDOW_MS + 100, (w + 1) * HUMOR_WINDOW_MS - 100, len(words) + 1).astype(int)
        rows += [(w + 1, word, edges[i], edges[i + 1]) for i, word in enumerate(words)]
    write_csv(root / "transcripts" / coach / f"{video}.csv",
               pd.DataFrame(rows, columns=["sentence_id", "word", "start", "end"]))
    # py-feat-style face boxes (the detector's output columns), one row per frame
    faces = pd.DataFrame({"frame": np.arange(n_frames), "FaceRectX": float(m), "FaceRectY": float(m),
                          "FaceRectWidth": float(size - 2 * m), "FaceRectHeight": float(size - 2 * m),
                          "FaceScore": 0.99})
    # AU activations in [0, 1]; humorous windows smile and laugh (RAW_FAU_PLANTED)
    smiling = cues()[(np.arange(n_frames) / fps / win_s).astype(int)]
    for au in FAU_NAMES:
        activation = rng.beta(2.0, 5.0, n_frames)
        if au in RAW_FAU_PLANTED:
            activation = np.where(smiling, activation + sig * 0.5, activation)
        faces[au] = activation.clip(0.0, 1.0).round(4)
    faces["approx_time"] = (np.arange(n_frames) / fps).round(3)
    write_csv(root / "faces" / coach / f"{video}.csv", faces)


def _planted_dims(rng, dim: int, n_planted: int, shared: int = 0, name: str = "", seed: int = 0) -> np.ndarray:
    """``n_planted`` dimensions; the first ``shared`` of them are the same in every task that plants a
    feature of this name and size (a generator of the demo seed and the name: one encoder, two tasks),
    the others are the task's own draw. The task's generator advances as without sharing, so the
    features planted after this one are unchanged."""
    own = rng.choice(dim, size=n_planted, replace=False)
    if not shared:
        return np.sort(own)
    common = np.random.default_rng([seed, dim, *name.encode()]).choice(dim, size=shared, replace=False)
    specific = [d for d in own if d not in set(common.tolist())][:n_planted - shared]
    return np.sort(np.concatenate([common, specific]))


def make_humor(root, spec: dict, seed: int) -> dict[str, list[int]]:
    """Coaches' videos cut into 2 s labelled windows of 4 feature frames each."""
    root, rng = Path(root), np.random.default_rng(seed)
    n_win, wins_per_seg = spec["segments_per_video"], 10
    planted, directions = {}, {}
    for name, fs in spec["features"].items():
        planted[name] = _planted_dims(rng, fs["dim"], fs["planted"], fs.get("shared", 0), name, seed)
        directions[name] = rng.choice([-1.0, 1.0], size=fs["planted"])
    write_csv(root / "metadata" / "partition.csv",
               pd.DataFrame(humor_subjects(spec), columns=["Id", "Partition"]))
    frames_per_win = HUMOR_WINDOW_MS // FRAME_MS
    for coach, _ in humor_subjects(spec):
        for v in range(spec["videos_per_coach"]):
            video = f"{coach}_v{v:02d}"
            signal_labels = (rng.random(n_win) < spec["positive_rate"]).astype(int)
            # annotators disagree: some labels are flipped, which caps the achievable AUC
            labels = np.where(rng.random(n_win) < spec.get("label_noise", 0.0), 1 - signal_labels, signal_labels)
            starts = np.arange(n_win) * HUMOR_WINDOW_MS
            # numbered across the coach's videos, as in the real data: the baseline's parser matches a
            # label's segment_id against every video of the coach at once
            segment_ids = 1 + v * -(-n_win // wins_per_seg) + np.arange(n_win) // wins_per_seg
            write_csv(root / "label_segments" / coach / f"{video}.csv", pd.DataFrame({
                "coach": coach, "segment_id": segment_ids, "timestamp_start": starts,
                "timestamp_end": starts + HUMOR_WINDOW_MS, "humor": labels}))
            if spec.get("raw"):  # its own generator: the CSV features stay as they were
                raw_rng = np.random.default_rng([seed, len(video), sum(map(ord, video))])
                write_raw_humor(root, coach, video, signal_labels, spec["raw"], raw_rng)
            frame_label = np.repeat(signal_labels, frames_per_win)
            ts = np.arange(n_win * frames_per_win) * FRAME_MS
            for name, fs in spec["features"].items():
                x = rng.standard_normal((len(ts), fs["dim"])).astype(np.float32)
                x[:, planted[name]] += fs["signal"] * np.outer(2 * frame_label - 1, directions[name])
                df = pd.DataFrame(x, columns=dim_names(name, fs["dim"]))
                df.insert(0, "timestamp", ts)
                df.insert(0, "segment_id", np.repeat(segment_ids, frames_per_win))
                write_csv(root / "feature_segments" / name / coach / f"{video}.csv", df)
    truth = {k: v.tolist() for k, v in planted.items()}
    if spec.get("raw"):
        truth[RAW_FAU_TRUTH] = [FAU_NAMES.index(au) for au in RAW_FAU_PLANTED]
    write_json(root / "planted.json", truth)
    return truth


def make_mimic(root, spec: dict, targets: list[str], seed: int) -> dict[str, list[int]]:
    """Videos of 4-8 s; each target is carried by its own share of the planted dimensions."""
    root, rng = Path(root), np.random.default_rng(seed)
    videos = mimic_videos(spec)
    y = rng.beta(2.0, 2.0, size=(len(videos), len(targets))).astype(np.float32)
    # the real partition and label files hold the ids with literal quotes ("00042"; the baseline strips them
    # for the feature file names and keeps them as strings)
    write_csv(root / "partition.csv", pd.DataFrame([(f'"{v}"', p) for v, p in videos], columns=["Id", "Partition"]))
    noisy = y + spec.get("label_noise", 0.0) * rng.standard_normal(y.shape).astype(np.float32)
    label_df = pd.DataFrame(noisy, columns=targets)
    label_df.insert(0, "filename", [f'"{v}"' for v, _ in videos])
    write_csv(root / "labels.csv", label_df)
    planted = {}
    for name, fs in spec["features"].items():
        dims = _planted_dims(rng, fs["dim"], fs["planted"], fs.get("shared", 0), name, seed)
        planted[name] = dims
        owner = np.arange(len(dims)) % len(targets)  # which target each planted dim encodes
        direction = rng.choice([-1.0, 1.0], size=len(dims))
        for i, (video, _) in enumerate(videos):
            n = int(rng.integers(8, 17))
            x = rng.standard_normal((n, fs["dim"])).astype(np.float32)
            x[:, dims] += fs["signal"] * direction * (y[i, owner] - 0.5) * 4
            df = pd.DataFrame(x, columns=dim_names(name, fs["dim"]))
            df.insert(0, "segment_id", 1)
            df.insert(0, "timestamp", np.arange(n) * FRAME_MS)
            write_csv(root / "features" / name / f"{video}.csv", df)
    truth = {k: v.tolist() for k, v in planted.items()}
    write_json(root / "planted.json", truth)
    return truth
