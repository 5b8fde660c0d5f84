"""Command line entry points; every Snakemake rule is one of these commands.

Rules pass structured settings as JSON strings (``--spec``), so what a job ran with is visible in
its shell command and in Snakemake's provenance records.
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

from .errors import InputError

log = logging.getLogger("subspace")


def decoder_device(a):
    """The device of a decoder job (``--device``): its own GPU of the box where it may use one, else the CPU."""
    from . import gpu
    from .errors import config_error
    gpu.claim_gpu(a.device)  # before torch touches CUDA
    try:
        return gpu.resolve_device(a.device)
    except ValueError as exc:
        raise config_error("training.device", str(exc)) from None


def _shard_videos(spec, shard, n_shards):
    from . import media
    return media.shard_videos(media.list_videos(spec), shard, n_shards)


# --- the commands, in the order of the workflow's DAG (see the rule graph in docs/outputs.md) ---


def cmd_demo(a):
    from . import demo
    spec = json.loads(a.spec)
    if a.kind == "humor":
        truth = demo.make_humor(a.root, spec, a.seed)
    else:
        truth = demo.make_mimic(a.root, spec, json.loads(a.targets), a.seed)
    log.info("demo written to %s; planted dims per feature: %s", a.root,
             {k: len(v) for k, v in truth.items()})


def cmd_tiny_model(a):
    from . import tiny_models
    size = json.loads(a.size)
    log.info("tiny %s model -> %s", a.kind, tiny_models.build(a.kind, a.out, seed=a.seed, **size))


def cmd_translate(a):
    from . import embed, gpu
    spec = json.loads(a.spec)
    gpu.claim_gpu(spec["encoder"].get("device", "auto"))  # this job's own GPU on a multi-GPU box
    videos = _shard_videos(spec, a.shard, a.n_shards)
    n = embed.translate_videos(spec, spec["encoder"], videos, a.out, a.threads)
    Path(a.out, "DONE").write_text(f"{len(videos)} transcripts, {n} sentences\n")
    log.info("translated %d sentences of %d videos -> %s", n, len(videos), a.out)


def cmd_extract(a):
    from . import embed, gpu
    spec = json.loads(a.spec)
    if spec["encoder"]["kind"] != "fau":  # this job's own GPU on a multi-GPU box
        gpu.claim_gpu(spec["encoder"].get("device", "auto"))
    start = time.perf_counter()
    emb = embed.extract_shard(spec, spec["encoder"], a.feature, a.shard, a.n_shards, a.threads,
                              transcript_root=a.transcripts)
    embed.write_shard(a.out, emb, {"task": a.task, "feature": a.feature, "encoder": spec["encoder"],
                                   "targets": spec["targets"], "source": spec["encoder"].get("model", "")})
    log.info("%s/%s shard %d/%d: %d samples, dim %d, %.1f s -> %s", a.task, a.feature, a.shard, a.n_shards,
             len(emb.sample_ids), emb.dim, time.perf_counter() - start, a.out)


def cmd_merge(a):
    from . import data, embed, store
    spec = json.loads(a.spec)
    emb = embed.merge_shards(spec, a.shards, {
        "task": a.task, "feature": a.feature, "encoder": spec["encoder"].get("name", spec["encoder"]["kind"]),
        "targets": spec["targets"], "source": spec["encoder"].get("model", spec["encoder"]["kind"]),
        "config_hash": store.config_hash(spec)})
    data.check_scorable(emb, data.task_type(spec), data.label_source(spec))
    store.write_embeddings(a.out, emb)
    counts = {p: int((emb.partitions == p).sum()) for p in ("train", "devel", "test")}
    log.info("%s/%s: %d shards, %d samples %s, dim %d, %d empty -> %s", a.task, a.feature, len(a.shards),
             len(emb.sample_ids), counts, emb.dim, emb.attrs["empty_segments"], a.out)


def cmd_store(a):
    from . import data, store
    spec = json.loads(a.spec)
    task_type = data.task_type(spec)
    if spec["layout"] == "humor":
        emb = data.read_humor(spec["partition_file"], spec["label_dir"], spec["feature_dir"], a.feature,
                              spec.get("label_column", data.HUMOR_LABEL_COLUMN), task_type)
    else:
        emb = data.read_mimic(spec["partition_file"], spec["label_file"], spec["feature_dir"], a.feature,
                              spec["targets"], task_type)
    emb.attrs.update({"task": a.task, "feature": a.feature, "encoder": spec.get("encoder", a.feature),
                      "targets": spec["targets"], "source": str(Path(spec["feature_dir"]) / a.feature),
                      "config_hash": store.config_hash(spec)})
    data.check_scorable(emb, task_type, data.label_source(spec))
    store.write_embeddings(a.out, emb)
    counts = {p: int((emb.partitions == p).sum()) for p in ("train", "devel", "test")}
    log.info("%s/%s: %d samples %s, dim %d -> %s", a.task, a.feature, len(emb.sample_ids), counts, emb.dim, a.out)


def cmd_train(a):
    device = decoder_device(a)
    from . import store, train
    from .atomic import read_json
    spec = json.loads(a.spec)
    emb = store.read_embeddings(a.embeddings)
    dims = None
    if a.selection:
        dims = read_json(a.selection)["kept"]
        log.info("reduced decoder on %d of %d dimensions from %s", len(dims), emb.dim, a.selection)
    if len(a.seed) != len(a.out_dir):
        raise SystemExit(f"train: {len(a.seed)} seeds but {len(a.out_dir)} output folders")
    # seeds run one after the other in one process: the store is read and torch imported once
    for seed, out_dir in zip(a.seed, a.out_dir):
        cfg = train.TrainConfig(task_type=spec["task_type"], seed=seed, **spec["train"])
        try:
            record = train.run(emb, spec["decoder"], cfg, out_dir, dims=dims, targets=spec["targets"],
                               threads=a.threads, device=device)
        except train.TrainingError as exc:
            raise InputError(a.embeddings, f"seed {seed}: {exc}") from None
        log.info("seed %d: devel %s %.4f, %d parameters, %.2f s training", seed, record["metric"],
                 record["scores"]["devel"], record["parameters"], record["train_seconds"])


def cmd_attribute(a):
    from . import attribute, evaluate, store, train
    from .atomic import read_json
    spec = json.loads(a.spec)
    # attribute with the seed whose full decoder scored best on devel
    records = [read_json(Path(d) / "metrics.json") for d in a.model_dirs]
    scores = [r["scores"]["devel"] for r in records]
    best_index = max(range(len(scores)), key=scores.__getitem__)
    best = a.model_dirs[best_index]
    collapsed = records[best_index].get("collapsed_targets") or []
    decoder_warning = (f"the explained decoder's devel predictions are nearly constant for {', '.join(collapsed)}: "
                       f"it learned little, so its attributions and the selection mean little" if collapsed else "")
    if decoder_warning:
        log.warning("%s: %s", best, decoder_warning)
    ckpt = train.load_checkpoint(Path(best) / "model.pt")
    emb = train.prepare_inputs(store.read_embeddings(a.embeddings), ckpt).subset("train")
    scale = evaluate.input_scale(emb.sequences)  # on what IG multiplies by: the decoder's (normalised?) inputs
    if scale["scale_warning"]:
        log.warning("%s: %s", a.embeddings, scale["scale_warning"])
    cfg = attribute.AttributionConfig(**spec)
    train.set_determinism(0, a.threads)
    log.info("IG of the %s output over %d training samples with %s (devel %.4f), %d steps (%s)",
             cfg.output, len(emb.sample_ids), best, max(scores), cfg.n_steps, cfg.method)
    start = time.perf_counter()
    stats = attribute.attribute_sequences(ckpt["model"], emb.sequences, cfg, device=decoder_device(a))
    rel = attribute.relative_completeness_error(stats)
    log.info("done in %.1f s; median relative completeness error %.2e", time.perf_counter() - start, rel)
    store.write_attributions(a.out, stats, emb.dim_names, {
        "model": str(best), "n_samples": len(emb.sample_ids), "n_steps": cfg.n_steps, "method": cfg.method,
        "aggregate": cfg.aggregate, "output": cfg.output, "median_relative_completeness_error": rel,
        "decoder_warning": decoder_warning, **scale})


def cmd_select(a):
    from . import select, store
    from .atomic import write_json
    stats = store.read_attributions(a.attributions)
    record = select.selection_record(stats["mean"], a.threshold, stats["dim_names"], a.attributions)
    write_json(a.out, record)
    log.info("threshold %s keeps %d of %d dimensions", a.threshold, record["n_kept"], record["n_total"])


def cmd_table(a):
    from . import metrics, tables
    spec = json.loads(a.spec)
    reduced = {tuple(k.split("|")): v for k, v in spec["reduced"].items()}
    selections = {tuple(k.split("|")): v for k, v in spec["selections"].items()}
    df = tables.comparison_table(a.task, spec["full"], reduced, selections)
    tables.write_table(df, a.csv, a.md, f"{a.task}: full vs reduced decoders",
                       metrics.metric_name(spec["task_type"]))


def cmd_recovery(a):
    from . import tables
    from .atomic import read_json, write_csv, write_text
    spec = json.loads(a.spec)
    selections = {tuple(k.split("|")): v for k, v in spec["selections"].items()}
    planted = read_json(a.planted)
    df = tables.recovery_table(selections, {f: planted[key] for f, key in spec["truth"].items()})
    write_csv(a.csv, df, float_format="%.4f")
    write_text(a.md, f"# {a.task}: recovered vs planted dimensions (demo)\n\n"
               + df.to_markdown(index=False, floatfmt=".3f") + "\n")


def cmd_plot(a):
    from . import plot, store
    spec = json.loads(a.spec)
    stats = {f: store.read_attributions(p) for f, p in spec["attributions"].items()}
    plot.sorted_attribution_figure(stats, "mean", a.task, spec["mean_out"], spec["thresholds"])
    plot.sorted_attribution_figure(stats, "std", a.task, spec["std_out"])


def cmd_fuse(a):
    from . import fuse, metrics
    spec = json.loads(a.spec)
    df, singles, fused = fuse.fusion_table(a.task, spec["task_type"], spec["targets"], spec["combinations"],
                                           spec["methods"], spec["members"])
    metric = metrics.metric_name(spec["task_type"])
    fuse.write_fusion(df, singles, fused, a.task, metric, a.csv, a.md, a.predictions)
    for r in df.itertuples():
        log.info("%s [%s]: devel %.4f vs best single %s %.4f (%+.4f), test %.4f", r.variants, r.method, r.devel,
                 r.best_single, r.best_single_devel, r.devel_gain, r.test)


def cmd_fau(a):
    from . import fau, store
    stats = store.read_attributions(a.attributions)
    ranking = fau.fau_figure(stats, json.loads(a.targets), f"{a.task}: Integrated Gradients per facial action "
                             f"unit ({a.feature}), sorted", a.out, source=a.attributions)
    overall = list(ranking)[-1]  # the average over targets, or the only target
    log.info("most relevant action units (%s): %s", overall, ", ".join(ranking[overall][:5]))


def cmd_finetune_demo(a):
    from . import finetune
    spec = json.loads(a.spec)
    finetune.make_demo_audio(spec["partition_file"], spec["label_file"], spec["audio_dir"], spec["targets"],
                             spec["seconds"], spec["sampling_rate"], spec["seed"])
    finetune.build_tiny_wav2vec2(spec["model"], spec["hidden_size"], spec["sampling_rate"], spec["seed"])
    log.info("demo audio in %s, tiny wav2vec 2.0 in %s", spec["audio_dir"], spec["model"])


def cmd_finetune(a):
    from . import finetune
    spec = json.loads(a.spec)
    cfg = finetune.FinetuneConfig(targets=spec["targets"], seed=a.seed, **spec["train"])
    dims = finetune.read_kept(a.selection) if a.selection else None
    extractor, _ = finetune.load_pretrained(spec["model"])
    clips = finetune.load_clips(spec["partition_file"], spec["label_file"], spec["audio_dir"], spec["targets"],
                                extractor.sampling_rate, cfg.max_seconds)
    try:
        record = finetune.run(spec["model"], clips, cfg, a.out_dir, dims=dims, threads=a.threads)
    except ValueError as exc:
        raise InputError(a.selection or spec["model"], str(exc)) from None
    h = record["history"]
    log.info("Pearson loss epoch 1 -> %d: train %.4f -> %.4f, devel %.4f -> %.4f; scores %s", len(h),
             h[0]["train_loss"], h[-1]["train_loss"], h[0]["devel_loss"], h[-1]["devel_loss"], record["scores"])


def cmd_paper_table(a):
    from . import metrics, paper
    spec = json.loads(a.spec)
    df = paper.paper_vs_run(a.task, spec["features"], spec["full_vs_reduced"], spec.get("fusion"),
                            spec.get("finetune"))
    paper.write_paper_table(df, a.task, metrics.metric_name(spec["task_type"]), a.csv, a.md)
    log.info("%d rows beside the paper's numbers", len(df))


def cmd_rank(a):
    from . import evaluate, store, train
    ig = store.read_attributions(a.attributions)
    methods = json.loads(a.methods)
    unknown = set(methods) - set(evaluate.METHODS)
    if unknown:
        raise InputError(a.attributions, f"unknown ranking methods {sorted(unknown)}: use {list(evaluate.METHODS)}")
    rankings = {}
    for method in methods:
        if method == "ig":
            rankings[method] = evaluate.ranking_record(method, scores=ig["mean"])
        elif method == "random":
            rankings[method] = evaluate.ranking_record(method, order=evaluate.random_order(len(ig["mean"]),
                                                                                        a.random_seed))
    gradient = [m for m in methods if m in evaluate.GRADIENT_METHODS]
    model_dir = ig["attrs"]["model"]  # the decoder Integrated Gradients explained: compare like with like
    if gradient:
        ckpt = train.load_checkpoint(Path(model_dir) / "model.pt")
        emb = train.prepare_inputs(store.read_embeddings(a.embeddings), ckpt).subset("train")
        if emb.dim != len(ig["mean"]):
            raise InputError(a.embeddings, f"{emb.dim} dimensions, but {a.attributions} has {len(ig['mean'])}")
        device = decoder_device(a)
        train.set_determinism(0, a.threads)
        for method in gradient:
            start = time.perf_counter()
            stats = evaluate.gradient_attributions(ckpt["model"], emb.sequences, method, a.batch_size, device)
            rankings[method] = evaluate.ranking_record(method, scores=stats["mean"])
            rankings[method]["mean_per_target"] = stats["mean_per_target"].tolist()
            log.info("%s over %d training samples in %.1f s", method, len(emb.sample_ids),
                     time.perf_counter() - start)
    statistical = [m for m in methods if m in evaluate.STATISTICAL_METHODS]
    if statistical:  # from the raw store: these scores do not depend on a dimension's scale
        raw = store.read_embeddings(a.embeddings).subset("train")
        if raw.dim != len(ig["mean"]):
            raise InputError(a.embeddings, f"{raw.dim} dimensions, but {a.attributions} has {len(ig['mean'])}")
        for method in statistical:
            start = time.perf_counter()
            scores = evaluate.statistical_scores(method, raw.sequences, raw.labels, a.task_type, a.random_seed)
            rankings[method] = evaluate.ranking_record(method, scores=scores)
            log.info("%s over %d training samples in %.1f s", method, len(raw.sample_ids), time.perf_counter() - start)
    from .atomic import write_json
    write_json(a.out, {"model": model_dir, "dim_names": ig["dim_names"], "random_seed": a.random_seed,
                       "methods": rankings})


def cmd_topk_train(a):
    device = decoder_device(a)
    from . import evaluate, store, train
    from .atomic import read_json, write_json
    spec = json.loads(a.spec)
    ranking = read_json(a.rankings)["methods"]
    if a.method not in ranking:
        raise InputError(a.rankings, f"has no ranking for method '{a.method}' (has {sorted(ranking)})")
    order = ranking[a.method]["order"]
    emb = store.read_embeddings(a.embeddings)
    if emb.dim != len(order):
        raise InputError(a.rankings, f"ranks {len(order)} dimensions, but {a.embeddings} has {emb.dim}")
    cfg = train.TrainConfig(task_type=spec["task_type"], seed=a.seed, **spec["train"])
    results, done = [], set()
    for k in json.loads(a.k):
        try:
            n = evaluate.resolve_k(k, emb.dim)
        except ValueError as exc:
            raise InputError(a.embeddings, f"evaluation.k: {exc}") from exc
        if n in done:
            log.warning("k = %s is again %d dimensions; trained once", k, n)
            continue
        done.add(n)
        dims = evaluate.selected_by_order(order, n)
        record = train.run(emb, spec["decoder"], cfg, Path(a.models_dir) / f"k{n}", dims=dims,
                           targets=spec["targets"], threads=a.threads, device=device)
        log.info("%s top %d (k = %s): devel %s %.4f", a.method, n, k, record["metric"], record["scores"]["devel"])
        results.append({"k": k, "n_dims": n, "dims": dims, "scores": record["scores"],
                        "predictions": str(Path(a.models_dir) / f"k{n}" / "predictions.csv"),
                        "parameters": record["parameters"], "train_seconds": record["train_seconds"],
                        "best_epoch": record["best_epoch"]})
    write_json(a.out, {"method": a.method, "seed": a.seed, "dim": emb.dim, "metric": record["metric"],
                       "results": results})


def cmd_seed_attributions(a):
    device = decoder_device(a)
    import numpy as np

    from . import attribute, store, train
    from .atomic import write_json
    cfg = attribute.AttributionConfig(**json.loads(a.spec))
    best = store.read_attributions(a.attributions)
    raw = store.read_embeddings(a.embeddings)
    means, reused = [], None
    for model_dir in a.model_dirs:
        same = (str(Path(model_dir)) == str(Path(best["attrs"]["model"]))
                and int(best["attrs"]["n_steps"]) == cfg.n_steps and best["attrs"]["method"] == cfg.method
                and best["attrs"]["aggregate"] == cfg.aggregate
                and best["attrs"].get("output", "activated") == cfg.output)
        if same:  # the best seed was already attributed with these settings
            means.append(np.asarray(best["mean"]).tolist())
            reused = model_dir
            log.info("%s: reusing %s", model_dir, a.attributions)
            continue
        ckpt = train.load_checkpoint(Path(model_dir) / "model.pt")
        emb = train.prepare_inputs(raw, ckpt).subset("train")
        train.set_determinism(0, a.threads)
        start = time.perf_counter()
        stats = attribute.attribute_sequences(ckpt["model"], emb.sequences, cfg, progress=False, device=device)
        means.append(stats["mean"].tolist())
        log.info("%s: IG over %d training samples in %.1f s", model_dir, len(emb.sample_ids),
                 time.perf_counter() - start)
    write_json(a.out, {"model_dirs": list(a.model_dirs), "mean": means, "reused": reused,
                       "n_steps": cfg.n_steps, "method": cfg.method, "aggregate": cfg.aggregate})


def cmd_topk_table(a):
    from . import evaltables, metrics
    spec = json.loads(a.spec)
    df = evaltables.topk_table(spec["records"], spec["full"], spec["task_type"])
    metric = metrics.metric_name(spec["task_type"])
    title = f"{a.task} / {a.feature}: top-k dimensions by attribution method"
    from .atomic import write_csv, write_text
    write_csv(a.csv, df)
    write_text(a.md, evaltables.topk_markdown(df, title, metric))
    evaltables.topk_figure(df, title, metric, a.figures)


def cmd_stability(a):
    from . import evaltables
    from .atomic import write_csv, write_text
    spec = json.loads(a.spec)
    df = evaltables.stability_table(spec["features"], spec["thresholds"])
    write_csv(a.csv, df)
    write_text(a.md, evaltables.stability_markdown(df, f"{a.task}: stability of the selection across seeds"))


def cmd_attribution_checks(a):
    from . import evaltables
    from .atomic import write_csv, write_text
    df = evaltables.attribution_checks_table(json.loads(a.spec))
    write_csv(a.csv, df)
    title = f"{a.task}: attribution checks (input scale, explained decoder)"
    write_text(a.md, evaltables.attribution_checks_markdown(df, title))
    for r in df.itertuples():
        for warning in (r.scale_warning, r.decoder_warning):
            if warning:
                log.warning("%s/%s: %s", a.task, r.feature, warning)


def cmd_cross_train(a):
    device = decoder_device(a)
    from . import evaluate, store, train
    from .atomic import read_json, write_json
    spec = json.loads(a.spec)
    selection = read_json(a.selection)
    emb = store.read_embeddings(a.embeddings)
    if selection["n_total"] != emb.dim:
        raise InputError(a.selection, f"selects from {selection['n_total']} dimensions, but {a.embeddings} has "
                         f"{emb.dim}: evaluation.cross_task pairs features of the same encoder")
    kept, results = selection["kept"], []
    for seed in a.seed:
        cfg = train.TrainConfig(task_type=spec["task_type"], seed=seed, **spec["train"])
        # a fresh random set per seed: the spread covers the choice of set as well as the training
        random_set = evaluate.random_dims(emb.dim, len(kept), [a.random_seed, seed]).tolist()
        for which, dims in (("other", kept), ("random", random_set)):
            out_dir = Path(a.models_dir) / which / f"seed{seed}"
            record = train.run(emb, spec["decoder"], cfg, out_dir, dims=dims, targets=spec["targets"],
                               threads=a.threads, device=device)
            log.info("seed %d, %s set of %d dims: devel %s %.4f", seed, which, len(dims), record["metric"],
                     record["scores"]["devel"])
            results.append({"seed": seed, "which": which, "dims": dims, "scores": record["scores"],
                            "predictions": str(out_dir / "predictions.csv")})
    write_json(a.out, {"selection": a.selection, "kept": kept, "dim": emb.dim, "random_seed": a.random_seed,
                       "results": results})


def cmd_cross_task(a):
    from . import evaltables, metrics, store
    from .atomic import write_csv, write_text
    spec = json.loads(a.spec)
    df = evaltables.cross_task_table(spec["directions"])
    names = spec["names"]
    title = f"cross-task sub-spaces: {names[0]} and {names[1]}"
    write_csv(a.csv, df)
    write_text(a.md, evaltables.cross_task_markdown(df, title, {d["task"]: metrics.metric_name(d["task_type"])
                                                               for d in spec["directions"]}))
    attributions = {name: store.read_attributions(path) for name, path in zip(names, spec["attributions"])}
    evaltables.cross_task_figure(attributions, spec["thresholds"][0], title, a.figures)
    for r in df.itertuples():
        log.info("%s:%s %s: Jaccard %.3f; test own %.4f, %s's %.4f (%+.4f [%+.4f, %+.4f]), random %.4f", r.task,
                 r.feature, r.threshold, r.jaccard, r.own_test, r.other, r.other_test, r.other_minus_own,
                 r.other_minus_own_low, r.other_minus_own_high, r.random_test)


def cmd_html_table(a):
    from . import evaltables
    evaltables.html_table(a.csv, a.title, a.out, a.note)


def table_command(sub, name: str, help_: str, func, spec_help: str | None = None):
    """A command that turns a task's JSON spec into a CSV and a Markdown table (callers add what else it takes)."""
    s = sub.add_parser(name, help=help_)
    s.add_argument("--task", required=True)
    s.add_argument("--spec", required=True, help=spec_help)
    s.add_argument("--csv", required=True)
    s.add_argument("--md", required=True)
    s.set_defaults(func=func)
    return s


def decoder_run_arguments(s) -> None:
    """Where a command that runs decoders computes: CPU threads and the torch device."""
    s.add_argument("--threads", type=int, default=1)
    s.add_argument("--device", default="cpu", help="auto, cpu, cuda or cuda:<i> (training.device)")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m subspace", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("demo", help="write a demo dataset in the MuSe layout")
    s.add_argument("--kind", choices=["humor", "mimic"], required=True)
    s.add_argument("--root", required=True)
    s.add_argument("--spec", required=True)
    s.add_argument("--targets", default="[]")
    s.add_argument("--seed", type=int, required=True)
    s.set_defaults(func=cmd_demo)

    s = sub.add_parser("store", help="MuSe feature CSVs -> HDF5 embedding store")
    s.add_argument("--task", required=True)
    s.add_argument("--feature", required=True)
    s.add_argument("--spec", required=True)
    s.add_argument("--out", required=True)
    s.set_defaults(func=cmd_store)

    s = sub.add_parser("train", help="train one decoder per seed")
    s.add_argument("--embeddings", required=True)
    s.add_argument("--spec", required=True)
    s.add_argument("--seed", type=int, nargs="+", required=True)
    s.add_argument("--selection")
    s.add_argument("--out-dir", nargs="+", required=True, help="one per seed")
    decoder_run_arguments(s)
    s.set_defaults(func=cmd_train)

    s = sub.add_parser("attribute", help="Integrated Gradients over the training partition")
    s.add_argument("--embeddings", required=True)
    s.add_argument("--model-dirs", nargs="+", required=True)
    s.add_argument("--spec", required=True)
    s.add_argument("--out", required=True)
    decoder_run_arguments(s)
    s.set_defaults(func=cmd_attribute)

    s = sub.add_parser("select", help="keep dimensions above a threshold")
    s.add_argument("--attributions", required=True)
    s.add_argument("--threshold", required=True)
    s.add_argument("--out", required=True)
    s.set_defaults(func=cmd_select)

    table_command(sub, "table", "full vs reduced comparison table", cmd_table)

    s = table_command(sub, "recovery", "demo: selected vs planted dimensions", cmd_recovery)
    s.add_argument("--planted", required=True)

    s = sub.add_parser("plot", help="sorted mean/std attribution figures")
    s.add_argument("--task", required=True)
    s.add_argument("--spec", required=True)
    s.set_defaults(func=cmd_plot)

    s = table_command(sub, "fuse", "late fusion of per-modality predictions", cmd_fuse)
    s.add_argument("--predictions", required=True)

    s = sub.add_parser("fau", help="attribution per facial action unit, by muscle")
    s.add_argument("--task", required=True)
    s.add_argument("--feature", required=True)
    s.add_argument("--attributions", required=True)
    s.add_argument("--targets", required=True)
    s.add_argument("--out", nargs="+", required=True)
    s.set_defaults(func=cmd_fau)

    s = sub.add_parser("finetune", help="fine-tune wav2vec 2.0 with the Pearson loss")
    s.add_argument("--spec", required=True)
    s.add_argument("--seed", type=int, required=True)
    s.add_argument("--selection")
    s.add_argument("--out-dir", required=True)
    s.add_argument("--threads", type=int, default=1)
    s.set_defaults(func=cmd_finetune)

    s = sub.add_parser("finetune-demo", help="demo audio per video and a tiny wav2vec 2.0, offline")
    s.add_argument("--spec", required=True)
    s.set_defaults(func=cmd_finetune_demo)

    s = sub.add_parser("tiny-model", help="build a tiny random HuggingFace model offline (demo/tests)")
    s.add_argument("--kind", required=True)
    s.add_argument("--out", required=True)
    s.add_argument("--size", default="{}")
    s.add_argument("--seed", type=int, default=0)
    s.set_defaults(func=cmd_tiny_model)

    for name, func, help_ in (("extract", cmd_extract, "raw media of one shard -> HDF5 embedding store"),
                              ("translate", cmd_translate, "translate one shard's transcripts (FSMT)")):
        s = sub.add_parser(name, help=help_)
        s.add_argument("--task", required=name == "extract")
        s.add_argument("--feature", required=name == "extract")
        s.add_argument("--spec", required=True)
        s.add_argument("--shard", type=int, required=True)
        s.add_argument("--n-shards", type=int, required=True)
        s.add_argument("--transcripts", help="folder of (translated) transcripts instead of the configured ones")
        s.add_argument("--out", required=True)
        s.add_argument("--threads", type=int, default=1)
        s.set_defaults(func=func)

    s = sub.add_parser("merge", help="merge shard stores into one embedding store")
    s.add_argument("--task", required=True)
    s.add_argument("--feature", required=True)
    s.add_argument("--spec", required=True)
    s.add_argument("--shards", nargs="+", required=True)
    s.add_argument("--out", required=True)
    s.set_defaults(func=cmd_merge)
    add_evaluation_commands(sub)
    return p


def main(argv=None) -> int:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except InputError as exc:
        print(f"error: {exc.path}: {exc.problem}", file=sys.stderr)
        return 1
    return 0


# --- evaluation beyond the paper: top-k sweep, other attribution methods, stability, report tables ---


def add_evaluation_commands(sub) -> None:
    s = sub.add_parser("rank", help="rank dimensions by IG, random control, Saliency, InputXGradient, statistics")
    s.add_argument("--embeddings", required=True)
    s.add_argument("--attributions", required=True, help="the IG file; its model is the one explained")
    s.add_argument("--methods", required=True, help="JSON list")
    s.add_argument("--task-type", choices=["binary", "regression"], default="binary",
                   help="the labels of the statistical rankings")
    s.add_argument("--random-seed", type=int, default=0, help="the random control's and mutual information's seed")
    s.add_argument("--batch-size", type=int, default=128)
    s.add_argument("--out", required=True)
    decoder_run_arguments(s)
    s.set_defaults(func=cmd_rank)

    s = sub.add_parser("topk-train", help="retrain on the top-k dimensions of one ranking, for each k")
    s.add_argument("--embeddings", required=True)
    s.add_argument("--rankings", required=True)
    s.add_argument("--method", required=True)
    s.add_argument("--k", required=True, help="JSON list: fractions in (0, 1) or counts")
    s.add_argument("--spec", required=True)
    s.add_argument("--seed", type=int, required=True)
    s.add_argument("--models-dir", required=True)
    s.add_argument("--out", required=True)
    decoder_run_arguments(s)
    s.set_defaults(func=cmd_topk_train)

    s = sub.add_parser("seed-attributions", help="IG of every seed's full decoder (selection stability)")
    s.add_argument("--embeddings", required=True)
    s.add_argument("--attributions", required=True, help="the best seed's IG file, reused when it matches")
    s.add_argument("--model-dirs", nargs="+", required=True)
    s.add_argument("--spec", required=True)
    s.add_argument("--out", required=True)
    decoder_run_arguments(s)
    s.set_defaults(func=cmd_seed_attributions)

    s = table_command(sub, "topk-table", "top-k sweep table and figure of one feature", cmd_topk_table)
    s.add_argument("--feature", required=True)
    s.add_argument("--figures", nargs="+", required=True)

    table_command(sub, "stability", "pairwise Jaccard of the seeds' selections", cmd_stability)

    table_command(sub, "paper-table", "the paper's reported numbers beside the run's", cmd_paper_table,
                  "JSON: task_type, features, full_vs_reduced, fusion, finetune")

    table_command(sub, "attribution-checks", "input scale of every feature's attributions (IG x input)",
                  cmd_attribution_checks, "JSON {feature: attribution file}")

    s = sub.add_parser("cross-train", help="retrain on another task's sub-space and on random sets of its size")
    s.add_argument("--embeddings", required=True)
    s.add_argument("--selection", required=True, help="the other task's selection of the same encoder")
    s.add_argument("--spec", required=True)
    s.add_argument("--seed", type=int, nargs="+", required=True)
    s.add_argument("--random-seed", type=int, default=0)
    s.add_argument("--models-dir", required=True)
    s.add_argument("--out", required=True)
    decoder_run_arguments(s)
    s.set_defaults(func=cmd_cross_train)

    s = sub.add_parser("cross-task", help="cross-task sub-space table and figure of one feature pair")
    s.add_argument("--spec", required=True)
    s.add_argument("--csv", required=True)
    s.add_argument("--md", required=True)
    s.add_argument("--figures", nargs="+", required=True)
    s.set_defaults(func=cmd_cross_task)

    s = sub.add_parser("html-table", help="render a CSV table as HTML for the report")
    s.add_argument("--csv", required=True)
    s.add_argument("--title", required=True)
    s.add_argument("--note", default="")
    s.add_argument("--out", required=True)
    s.set_defaults(func=cmd_html_table)
