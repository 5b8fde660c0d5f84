"""The control task of the top-k sweep (Hewitt & Liang 2019, "Designing and interpreting probes with control
tasks"): the same decoder, Integrated Gradients, rankings and top-k retraining on labels permuted within
groups in train and devel (test untouched). A ranking whose top k retrains well on the real labels *and* on
the permuted ones shows what a decoder can fit from k dimensions, not what the dimensions hold about the
task; the sweep reports selectivity = task − control (:mod:`subspace.sweeptables`).

Permuting within a group (Humor: a video's windows; a table: its ``group`` column) keeps each group's label
mix, so what a decoder can still learn is the group-level part of the labels; where every group holds one
sample (Mimic: a video is a sample) the labels are permuted over the whole partition.
"""
from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import numpy as np

from .atomic import write_json
from .store import Embeddings

log = logging.getLogger(__name__)

PERMUTED = ("train", "devel")  # the test labels stay as they are: every score is on the real test labels


def permute_within_groups(labels: np.ndarray, groups: np.ndarray, partitions: np.ndarray,
                          seed: int) -> tuple[np.ndarray, dict]:
    """The control labels: train and devel labels shuffled among the samples of each group (each partition's
    groups in sorted order, one seeded generator), the other partitions' labels unchanged. A partition
    whose groups all hold one sample is shuffled as a whole. Returns the labels and, per permuted partition,
    what was shuffled: ``within`` (group or partition), ``n_samples``, ``n_blocks`` and ``unchanged`` (samples
    that kept their own label row, by chance or in a one-sample group)."""
    labels = np.asarray(labels)
    out, info = labels.copy(), {}
    rng = np.random.default_rng(seed)
    for part in PERMUTED:
        idx = np.flatnonzero(np.asarray(partitions) == part)
        if not len(idx):
            continue
        part_groups = np.asarray(groups)[idx].astype(str)
        names, counts = np.unique(part_groups, return_counts=True)
        within = "group" if (counts > 1).any() else "partition"
        blocks = [idx[part_groups == g] for g in names] if within == "group" else [idx]
        for block in blocks:
            out[block] = labels[rng.permutation(block)]
        same = (out[idx] == labels[idx]).reshape(len(idx), -1).all(axis=1)
        info[part] = {"within": within, "n_samples": int(len(idx)), "n_blocks": len(blocks),
                      "unchanged": int(same.sum())}
        log.info("%s: labels permuted within %s (%d blocks, %d samples; %d kept their label)", part, within,
                 len(blocks), len(idx), int(same.sum()))
    return out, info


def control_sweep(emb: Embeddings, spec: dict, attribution: dict, methods: list[str], ks: list, seeds: list[int],
                  random_seed: int, batch_size: int, out_dir, threads: int = 1, device="cpu",
                  source: str = "the embedding store") -> dict:
    """A ``control_train`` job: per seed a full decoder on the control labels (``out_dir``/full/seed<s>), IG
    with the best of them, every ranking of ``methods`` on the control labels (``out_dir``/rankings.json)
    and each ranking's top-k sweep (``out_dir``/topk/<method>/seed<s>). Returns the job's summary: how the
    labels were permuted, the full decoders and each method's sweep summaries (as ``topk_train``'s)."""
    from .attribute import AttributionConfig, explain_best_seed
    from .evaluate import compute_rankings
    from .retrain import topk_sweep
    from .train import run_seed

    out_dir = Path(out_dir)
    labels, permutation = permute_within_groups(emb.labels, emb.groups, emb.partitions, random_seed)
    control = dataclasses.replace(emb, labels=labels)
    full = []
    for seed in seeds:
        model_dir = out_dir / "full" / f"seed{seed}"
        record = run_seed(control, spec, seed, model_dir, threads=threads, device=device, source=source)
        log.info("control, seed %d, all %d dims: devel %s %.4f", seed, emb.dim, record["metric"],
                 record["scores"]["devel"])
        full.append({"seed": seed, "scores": record["scores"], "model_dir": str(model_dir),
                     "predictions": str(model_dir / "predictions.csv")})
    stats, attrs = explain_best_seed(control, [f["model_dir"] for f in full], AttributionConfig(**attribution),
                                     device, threads)
    ig = {"mean": stats["mean"], "dim_names": list(emb.dim_names), "attrs": attrs}
    rankings = compute_rankings(control, ig, methods, spec["task_type"], random_seed, batch_size, threads, device,
                                (source, source))
    write_json(out_dir / "rankings.json", rankings)
    records = {method: [topk_sweep(control, rankings, method, ks, spec, seed, out_dir / "topk" / method / f"seed{seed}",
                                   threads, device, (source, str(out_dir / "rankings.json")))
                        for seed in seeds]
               for method in methods}
    return {"permutation": permutation, "random_seed": random_seed, "dim": emb.dim, "full": full,
            "explained": attrs["model"], "records": records}
