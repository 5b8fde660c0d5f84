"""Which files the demo writes, without writing them: the workflow plans its jobs from these lists when it
reads the config, so this module imports nothing heavy. :mod:`subspace.demo` writes the files."""
from __future__ import annotations

from pathlib import Path

RAW_MEDIA = (("audio", "audio", "wav"), ("video", "video", "mp4"), ("transcript", "transcripts", "csv"),
             ("face_boxes", "faces", "csv"))
RAW_FAU_TRUTH = "raw:fau"  # the planted AUs' key in planted.json: any raw feature with a `fau` encoder


def humor_subjects(spec: dict) -> list[tuple[str, str]]:
    """(coach, partition) in the partition file's order."""
    out = []
    for partition in ("train", "devel", "test"):
        for i in range(spec["coaches"][partition]):
            out.append((f"{partition}_coach{i:02d}", partition))
    return out


def humor_videos(spec: dict) -> list[tuple[str, str]]:
    """(coach, video) in store order."""
    return [(c, f"{c}_v{v:02d}") for c, _ in humor_subjects(spec) for v in range(spec["videos_per_coach"])]


def humor_files(root, spec: dict) -> dict[str, list[str]]:
    """Every file the Humor demo writes, by kind ('partition', 'labels', 'feature:<name>', 'raw:<kind>')."""
    root = str(Path(root))
    videos = humor_videos(spec)
    files = {"partition": [f"{root}/metadata/partition.csv"],
             "labels": [f"{root}/label_segments/{c}/{v}.csv" for c, v in videos],
             "planted": [f"{root}/planted.json"]}
    for feature in spec["features"]:
        files[f"feature:{feature}"] = [f"{root}/feature_segments/{feature}/{c}/{v}.csv" for c, v in videos]
    if spec.get("raw"):  # raw media with the same planted labels (see demo.write_raw_humor)
        for kind, folder, ext in RAW_MEDIA:
            files[f"raw:{kind}"] = [f"{root}/raw/{folder}/{c}/{v}.{ext}" for c, v in videos]
    return files


def mimic_videos(spec: dict) -> list[tuple[str, str]]:
    """(video, partition) in the partition file's order."""
    out, n = [], 0
    for partition in ("train", "devel", "test"):
        for _ in range(spec["videos"][partition]):
            out.append((f"{n:05d}", partition))
            n += 1
    return out


def mimic_files(root, spec: dict) -> dict[str, list[str]]:
    root = str(Path(root))
    files = {"partition": [f"{root}/partition.csv"], "labels": [f"{root}/labels.csv"],
             "planted": [f"{root}/planted.json"]}
    videos = [v for v, _ in mimic_videos(spec)]
    for feature in spec["features"]:
        files[f"feature:{feature}"] = [f"{root}/features/{feature}/{v}.csv" for v in videos]
    return files


# ----------------------------------------------------------------------------------------- sample tables
TABLE_FILE = "samples.csv"
TABLE_SPLITS = {"train": "train", "devel": "dev", "test": "test"}  # the demo table's split names
# its label columns: the class name, two ratings in [0, 1] and whether the arousal is high (0/1)
TABLE_LABELS = ("emotion", "arousal", "valence", "aroused")
TABLE_COLUMNS = {"group": "speaker"}  # its columns that differ from the default names


def table_speakers(spec: dict) -> list[tuple[str, str]]:
    """(speaker, split name) in the table's order."""
    out = []
    for partition, name in TABLE_SPLITS.items():
        out += [(f"spk{len(out) + i:02d}", name) for i in range(spec["speakers"][partition])]
    return out


def table_ids(spec: dict) -> list[tuple[str, str]]:
    """(sample id, speaker) of every row."""
    return [(f"{speaker}_u{k:03d}", speaker) for speaker, _ in table_speakers(spec)
            for k in range(spec["utterances_per_speaker"])]


def table_wavs(spec: dict) -> list[tuple[str, list[str]]]:
    """(WAV name, the sample ids it holds in order): each speaker's utterances, `utterances_per_file` a file."""
    per_file = spec["audio"]["utterances_per_file"]
    out = []
    for speaker, _ in table_speakers(spec):
        ids = [i for i, s in table_ids(spec) if s == speaker]
        out += [(f"{speaker}_{k // per_file:02d}.wav", ids[k:k + per_file]) for k in range(0, len(ids), per_file)]
    return out


def vectors_path(root, feature: str, spec: dict) -> str:
    """The `path` of a demo table's pre-computed feature: a template with {id}, or one .npz."""
    base = Path(root) / "features"
    return str(base / f"{feature}.npz") if spec.get("one_file", False) else str(base / feature / "{id}.npy")


def table_files(root, spec: dict) -> dict[str, list[str]]:
    """Every file the table demo writes, by kind ('table', 'planted', 'feature:<name>', 'raw:audio')."""
    root = Path(root)
    files = {"table": [str(root / TABLE_FILE)], "planted": [str(root / "planted.json")]}
    for feature, f in spec["features"].items():
        path = vectors_path(root, feature, f)
        one_file = f.get("one_file", False)
        files[f"feature:{feature}"] = [path] if one_file else [path.replace("{id}", i) for i, _ in table_ids(spec)]
    if spec.get("audio"):
        files["raw:audio"] = [str(root / "audio" / name) for name, _ in table_wavs(spec)]
    return files
