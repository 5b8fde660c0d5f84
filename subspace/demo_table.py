"""A demo sample table (the `table` layout) with a planted relevant sub-space per class.

Speakers' utterances, each of one class (balanced within a speaker), with arousal and valence ratings in [0, 1]
that follow the class (and `aroused`: arousal above 0.5, 0/1); the table names devel `dev` and its group column
`speaker` (mapped in the config).
Pre-computed features (a `.npy` vector or sequence per utterance, or one `.npz`) carry the class in `planted`
dimensions per class; WAVs hold several utterances each, cut by the table's start/end, with a tone per class;
the optional text column has a word per class. ``planted.json`` records the truth.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .atomic import atomic_path, write_csv, write_json
from .demo_files import TABLE_FILE, TABLE_LABELS, table_ids, table_speakers, table_wavs, vectors_path

GAP_S = 0.25            # silence (noise) between the utterances of a WAV: outside every row's segment
RATING_NOISE = 0.08
NEUTRAL_WORDS = "the coach says team played today and we are very see who can play".split()
CLASS_WORDS = "happy hard funny glasses referee idea fought morning tomorrow well".split()


def class_labels(spec: dict, rng) -> np.ndarray:
    """Each row's class index: per speaker every class equally often (in a random order)."""
    n, k = spec["utterances_per_speaker"], len(spec["classes"])
    return np.concatenate([rng.permutation(np.arange(n) % k) for _ in table_speakers(spec)])


def ratings(classes: np.ndarray, n_classes: int, rng) -> np.ndarray:
    """(arousal, valence) in [0, 1]: each class's own level plus noise."""
    level = rng.uniform(0.15, 0.85, size=(n_classes, 2))
    return (level[classes] + RATING_NOISE * rng.standard_normal((len(classes), 2))).clip(0, 1).round(4)


def planted_dims(rng, dim: int, per_class: int, n_classes: int) -> np.ndarray:
    """(classes x per_class) disjoint dimensions: row c shifts with class c."""
    return np.sort(rng.choice(dim, size=n_classes * per_class, replace=False).reshape(n_classes, per_class), axis=1)


def write_vectors(root: Path, name: str, f: dict, ids: list[str], classes: np.ndarray, dims: np.ndarray, rng) -> None:
    """One feature: noise, plus ``signal`` in the dimensions of each sample's class."""
    vectors, frames = [], f.get("frames", 1)
    for sample_id, c in zip(ids, classes):
        steps = 1 if frames == 1 else int(rng.integers(frames // 2 + 1, frames + 1))
        x = rng.standard_normal((steps, f["dim"])).astype(np.float32)
        x[:, dims[c]] += f["signal"]
        vectors.append(x[0] if frames == 1 else x)
    path = vectors_path(root, name, f)
    if f.get("one_file", False):
        with atomic_path(path) as tmp, open(tmp, "wb") as out:
            np.savez(out, ids=np.asarray(ids), features=np.stack(vectors))
        return
    for sample_id, x in zip(ids, vectors):
        with atomic_path(path.replace("{id}", sample_id)) as tmp, open(tmp, "wb") as out:
            np.save(out, x)


def write_audio(root: Path, spec: dict, classes_of: dict[str, int], n_classes: int, rng) -> dict[str, tuple]:
    """The WAVs; returns each utterance's (file, start s, end s). Class c is a tone of its own frequency (below
    the Nyquist frequency) in noise; the gaps between utterances are noise only."""
    import soundfile as sf
    audio = spec["audio"]
    sr, seconds = audio["sampling_rate"], audio["seconds"]
    n, gap = int(round(seconds * sr)), int(round(GAP_S * sr))
    t = np.arange(n) / sr
    segments = {}
    for name, ids in table_wavs(spec):
        wav = 0.1 * rng.standard_normal(gap + len(ids) * (n + gap))
        for k, sample_id in enumerate(ids):
            start = gap + k * (n + gap)
            frequency = sr * (0.05 + 0.4 * classes_of[sample_id] / n_classes)
            wav[start:start + n] += audio["signal"] * np.sin(2 * np.pi * frequency * t)
            segments[sample_id] = (f"audio/{name}", round(start / sr, 4), round((start + n) / sr, 4))
        with atomic_path(root / "audio" / name) as tmp:
            sf.write(tmp, (0.5 * wav).astype(np.float32), sr, subtype="PCM_16", format="WAV")
    return segments


def make_table(root, spec: dict, seed: int) -> dict:
    """Write the table, its features and media; return the planted truth (feature -> every planted dimension)."""
    root, rng = Path(root), np.random.default_rng(seed)
    rows = table_ids(spec)
    ids = [i for i, _ in rows]
    n_classes = len(spec["classes"])
    classes = class_labels(spec, rng)
    split_of = dict(table_speakers(spec))
    df = pd.DataFrame({"id": ids, "speaker": [s for _, s in rows], "split": [split_of[s] for _, s in rows],
                       TABLE_LABELS[0]: [spec["classes"][c] for c in classes]})
    df[list(TABLE_LABELS[1:3])] = ratings(classes, n_classes, rng)
    df[TABLE_LABELS[3]] = (df[TABLE_LABELS[1]] > 0.5).astype(int)
    truth, per_class = {}, {}  # (feature names hold no ':', so 'per_class:<feature>' is no feature's key)
    for name, f in spec["features"].items():
        dims = planted_dims(rng, f["dim"], f["planted"], n_classes)
        write_vectors(root, name, f, ids, classes, dims, np.random.default_rng([seed, *name.encode()]))
        truth[name] = sorted(dims.ravel().tolist())
        per_class[f"per_class:{name}"] = {c: d.tolist() for c, d in zip(spec["classes"], dims)}
    if spec.get("audio"):  # their own generators: the features above stay as they are
        segments = write_audio(root, spec, dict(zip(ids, classes)), n_classes,
                               np.random.default_rng([seed, 1]))
        df["file"], df["start"], df["end"] = zip(*(segments[i] for i in ids))
    if spec.get("text"):
        text_rng = np.random.default_rng([seed, 2])
        df["text"] = [" ".join(text_rng.choice(NEUTRAL_WORDS, size=3).tolist()
                               + [CLASS_WORDS[c % len(CLASS_WORDS)]]) for c in classes]
    write_csv(root / TABLE_FILE, df)
    write_json(root / "planted.json", {**truth, **per_class})
    return truth
