"""Retraining on chosen dimensions for the evaluation: the top-k sweep of a ranking, another task's sub-space
against random sets of its size, and every seed's attribution for the selection's stability."""
from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np

from .errors import InputError
from .evaluate import random_dims, resolve_k, selected_by_order, tied_at_cut
from .store import Embeddings
from .train import run_seed

log = logging.getLogger(__name__)


def topk_sweep(emb, rankings: dict, method: str, ks: list, spec: dict, seed: int, models_dir, threads: int = 1,
               device="cpu", paths: tuple[str, str] = ("embeddings", "rankings"), removal: bool = False) -> dict:
    """A ``topk-train`` job: one decoder per k on the k top-ranked dimensions of ``method`` in ``rankings``
    (a rankings file, :func:`subspace.evaluate.compute_rankings`), written under ``models_dir``/k<n>; returns the job's
    summary. A left-out ranking trains nothing: its summary carries the reason. Where the k-th and
    (k+1)-th dimensions tie, a result records how many were taken in index order (``tied_at_cut``).
    With ``removal``, one more decoder per k on every dimension but the top k (``models_dir``/minus<n>), listed
    under ``removed`` (ROAR/KAR: the other direction of the same ranking)."""
    if method not in rankings["methods"]:
        raise InputError(paths[1], f"has no ranking for method '{method}' (has {sorted(rankings['methods'])})")
    ranking = rankings["methods"][method]
    summary = {"method": method, "seed": seed, "dim": emb.dim, "metric": None, "results": []}
    if ranking.get("left_out"):
        log.warning("%s: %s", method, ranking["left_out"])
        return {**summary, "left_out": ranking["left_out"]}
    order = ranking["order"]
    if emb.dim != len(order):
        raise InputError(paths[1], f"ranks {len(order)} dimensions, but {paths[0]} has {emb.dim}")
    done = set()
    for k in ks:
        try:
            n = resolve_k(k, emb.dim)
        except ValueError as exc:
            raise InputError(paths[0], f"evaluation.k: {exc}") from exc
        if n in done:
            log.warning("k = %s is again %d dimensions; trained once", k, n)
            continue
        done.add(n)
        dims = selected_by_order(order, n)
        record = run_seed(emb, spec, seed, Path(models_dir) / f"k{n}", dims=dims, threads=threads, device=device,
                          source=paths[0])
        log.info("%s top %d (k = %s): devel %s %.4f", method, n, k, record["metric"], record["scores"]["devel"])
        summary["metric"] = record["metric"]
        summary["results"].append({
            "k": k, "n_dims": n, "dims": dims, "scores": record["scores"],
            "predictions": str(Path(models_dir) / f"k{n}" / "predictions.csv"), "parameters": record["parameters"],
            "train_seconds": record["train_seconds"], "best_epoch": record["best_epoch"],
            "tied_at_cut": tied_at_cut(ranking.get("scores"), order, n)})
        if removal and n < emb.dim:
            rest = removed_dims(order, n)
            out_dir = Path(models_dir) / f"minus{n}"
            record = run_seed(emb, spec, seed, out_dir, dims=rest, threads=threads, device=device, source=paths[0])
            log.info("%s all but the top %d: devel %s %.4f", method, n, record["metric"], record["scores"]["devel"])
            summary.setdefault("removed", []).append({
                "k": k, "n_removed": n, "n_dims": len(rest), "dims": rest, "scores": record["scores"],
                "predictions": str(out_dir / "predictions.csv"), "train_seconds": record["train_seconds"],
                "best_epoch": record["best_epoch"]})
    return summary


def removed_dims(order, n: int) -> list[int]:
    """Every dimension but the first ``n`` of a ranking, ascending: what is left when its top n are removed."""
    top = set(selected_by_order(order, n))
    return [int(i) for i in sorted(order) if int(i) not in top]


def cross_retrain(emb: Embeddings, kept: list[int], spec: dict, seeds: list[int], random_seed: int, models_dir,
                  threads: int = 1, device="cpu", source="the store") -> list[dict]:
    """Per seed, a decoder on another task's kept dimensions and one on a random set of as many dimensions
    (a fresh set per seed: the spread covers the choice of set as well as the training)."""
    results = []
    for seed in seeds:
        random_set = random_dims(emb.dim, len(kept), [random_seed, seed]).tolist()
        for which, dims in (("other", kept), ("random", random_set)):
            out_dir = Path(models_dir) / which / f"seed{seed}"
            record = run_seed(emb, spec, seed, out_dir, dims=dims, threads=threads, device=device, source=source)
            log.info("seed %d, %s set of %d dims: devel %s %.4f", seed, which, len(dims), record["metric"],
                     record["scores"]["devel"])
            results.append({"seed": seed, "which": which, "dims": dims, "scores": record["scores"],
                            "predictions": str(out_dir / "predictions.csv")})
    return results


def seed_attribution_means(raw: Embeddings, best: dict, model_dirs: list, cfg, threads: int = 1,
                           device="cpu") -> tuple[list, str | None]:
    """Every seed's mean IG per dimension (the selection's stability across seeds). The best seed's attribution
    file (``best``, as :func:`subspace.store.read_attributions` reads it) is reused where it was made with the
    same decoder and settings. Returns the means and the reused model folder (or None)."""
    from .attribute import attribute_sequences
    from .train import load_checkpoint, prepare_inputs, set_determinism

    means, reused = [], None
    for model_dir in model_dirs:
        attrs = best["attrs"]
        same = (str(Path(model_dir)) == str(Path(attrs["model"])) and int(attrs["n_steps"]) == cfg.n_steps
                and attrs["method"] == cfg.method and attrs["aggregate"] == cfg.aggregate
                and attrs.get("output", "activated") == cfg.output
                and attrs.get("multiclass", "") in ("", cfg.multiclass))
        if same:
            means.append(np.asarray(best["mean"]).tolist())
            reused = str(model_dir)
            log.info("%s: reusing its attribution file", model_dir)
            continue
        ckpt = load_checkpoint(Path(model_dir) / "model.pt")
        train = prepare_inputs(raw, ckpt).subset("train")
        set_determinism(0, threads)
        start = time.perf_counter()
        stats = attribute_sequences(ckpt["model"], train.sequences, cfg, progress=False, device=device,
                                    labels=train.labels)
        means.append(stats["mean"].tolist())
        log.info("%s: IG over %d training samples in %.1f s", model_dir, len(train.sample_ids),
                 time.perf_counter() - start)
    return means, reused
