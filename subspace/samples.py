"""A task's samples, whatever its layout: one internal sample table that extraction cuts media by.

Each layout's reader is an adapter that lists the same :class:`Sample` rows: Humor one per label row (its
``[timestamp_start, timestamp_end)`` window of the video, the same label reader as the CSV features in
:mod:`subspace.data`), Mimic one per video, `table` one per row of the sample table (:mod:`subspace.table`).
Every step after the store reads only the store, so it does not know the layout.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from . import labels, names
from .errors import InputError

# what an encoder kind reads from a sample table row besides ids, groups, splits and labels
TABLE_NEEDS = {"audio": ("file",), "video": ("file",), "text": ("text",)}


@dataclass(frozen=True)
class Sample:
    subject: str          # Humor: coach; Mimic: the video id; table: the group
    video: str            # the media it is cut from: Humor/Mimic the video id, table the file (or '' for text)
    sample_id: str
    partition: str
    label: tuple
    start: int | None     # window in ms; None = the whole video or file
    end: int | None
    group: str            # the sampling unit (bootstrap, leak checks): Humor coach/video, Mimic the video, table
                          # its group column
    text: str | None = None  # table: the row's text


def list_videos(spec: dict) -> list[tuple[str, str]]:
    """(subject, video) pairs in the stores' order, read from the partition and label layout only (MuSe layouts)."""
    partition_of = labels.read_partition(Path(spec["partition_file"]))
    if spec["layout"] == "mimic":
        return [(v, v) for v in partition_of]
    videos = labels.humor_videos(partition_of, Path(spec["label_dir"]))
    return [(coach, names.nfc(f.stem)) for coach, _, f in videos]


def shard_videos(videos: list, shard: int, n_shards: int) -> list:
    """Round-robin: shard k gets every n-th video, so shards are balanced in count."""
    if not 0 <= shard < n_shards:
        raise ValueError(f"shard {shard} is not in 0..{n_shards - 1}")
    return videos[shard::n_shards]


def list_samples(spec: dict, needs=()) -> list[Sample]:
    """Every sample in store order (same ids, partitions and labels as the CSV readers: the same label readers).
    ``needs``: what a table row must give besides its labels (``file``, ``text``; :data:`TABLE_NEEDS`)."""
    if spec["layout"] == "table":
        return table_samples(spec, needs)
    partition_of = labels.read_partition(Path(spec["partition_file"]))
    targets = spec["targets"]
    out = []
    if spec["layout"] == "humor":
        for coach, partition, label_file in labels.humor_videos(partition_of, Path(spec["label_dir"])):
            rows = labels.humor_labels(label_file, partition, spec.get("label_column", labels.HUMOR_LABEL_COLUMN),
                                       labels.label_task(spec))
            video = names.nfc(label_file.stem)
            out += [Sample(coach, video, r.sample_id, partition, (float(r.label),), int(r.start), int(r.end),
                           f"{coach}/{video}") for r in rows.itertuples(index=False)]
        return out
    label_file = Path(spec["label_file"])
    label_of = labels.mimic_labels(label_file, targets, partition_of, labels.label_task(spec))
    for video, partition in partition_of.items():
        label = labels.mimic_label(label_of, video, partition, targets, label_file)
        out.append(Sample(video, video, video, partition, tuple(float(x) for x in label), None, None, video))
    unknown = sorted(set(label_of) - set(partition_of))
    if unknown:
        raise InputError(label_file, f"{len(unknown)} labelled videos are not in the partition file "
                                     f"(e.g. {unknown[:3]})")
    return out


def table_samples(spec: dict, needs=()) -> list[Sample]:
    """The sample table's rows, checked (:func:`subspace.table.read_table`), in the table's order."""
    from .table import read_table
    rows = read_table(spec, needs)
    return [Sample(group, file or "", sample_id, partition, tuple(float(x) for x in label), start, end, group, text)
            for sample_id, partition, group, file, start, end, text, label in
            zip(rows.ids, rows.partitions, rows.groups, rows.files, rows.starts, rows.ends, rows.texts, rows.labels)]


def table_units(samples: list[Sample], kind: str) -> list[str]:
    """What an extraction shard takes whole, in the table's order: the media files (audio, video: each read
    once, every row of it cut from it) or, for text, the samples."""
    if kind == "text":
        return [s.sample_id for s in samples]
    return list(dict.fromkeys(s.video for s in samples))
