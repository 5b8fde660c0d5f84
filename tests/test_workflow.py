"""End to end: the Snakemake workflow on a tiny config in a temporary directory."""
import json
import subprocess
import sys

import h5py
import numpy as np
import pandas as pd
import pytest
import yaml
from PIL import Image

from conftest import ROOT, run_snakemake as snakemake

TINY = ROOT / "tests/data/tiny_config.yaml"


@pytest.fixture
def run_dir(tiny_run):
    return tiny_run


def assert_drawn_from_the_runs_data(png, draw, tmp_path):
    """The workflow's figure is, pixel for pixel, what the figure function (whose drawn values the unit tests
    read back) draws from the run's own outputs."""
    again = tmp_path / f"again_{png.name}"
    draw([again])
    ours, theirs = np.asarray(Image.open(png)), np.asarray(Image.open(again))
    assert ours.shape == theirs.shape and (ours == theirs).all(), f"{png} is not the figure of the run's outputs"


def seed_devel_scores(res, task, feature, variant):
    return [json.loads((res / task / "models" / feature / variant / f"seed{s}" / "metrics.json").read_text())
            ["scores"]["devel"] for s in (1, 2)]


def test_every_output_has_the_right_content(run_dir, tmp_path):
    from subspace import plot, store
    res = run_dir / "results"
    config = yaml.safe_load(TINY.read_text())
    for task, feature, dim, metric in (("humor", "w2v", 24, "auc"), ("mimic", "faus", 20, "pearson")):
        with h5py.File(res / task / "embeddings" / f"{feature}.h5") as f:
            assert f["features"].shape[1] == dim and f.attrs["task"] == task
        for variant in ("full", "mean", "p75"):
            for seed in (1, 2):
                d = res / task / "models" / feature / variant / f"seed{seed}"
                m = json.loads((d / "metrics.json").read_text())
                assert m["metric"] == metric and m["seed"] == seed
                assert -1 <= m["scores"]["devel"] <= 1 and m["parameters"] > 0
                preds = pd.read_csv(d / "predictions.csv", dtype={"sample_id": str})
                assert set(preds.partition) == {"train", "devel", "test"}
                assert preds.filter(like="pred_").notna().all().all()
        attr = {}
        with h5py.File(res / task / "attribution" / f"{feature}.h5") as f:
            attr = {k: f[k][()] for k in ("mean", "std", "mean_per_target")}
            assert f.attrs["n_steps"] == 20 and f.attrs["median_relative_completeness_error"] < 0.05
        assert attr["mean"].shape == (dim,) and (attr["mean"] >= 0).all() and (attr["std"] >= 0).all()
        assert attr["mean_per_target"].shape[0] == (1 if task == "humor" else 3)
        np.testing.assert_allclose(attr["mean"], attr["mean_per_target"].mean(0))
        for threshold, cut in (("mean", attr["mean"].mean()), ("p75", np.percentile(attr["mean"], 75))):
            sel = json.loads((res / task / "selection" / feature / f"{threshold}.json").read_text())
            assert sel["kept"] == np.flatnonzero(attr["mean"] > cut).tolist()
            reduced = json.loads((res / task / "models" / feature / threshold / "seed1" / "metrics.json").read_text())
            assert reduced["n_dims"] == sel["n_kept"] < dim
        table = pd.read_csv(res / task / "tables" / "full_vs_reduced.csv")
        table = table[table.feature == feature].reset_index(drop=True)  # mimic also has a second feature
        assert table.threshold.tolist() == ["mean", "p75"]
        assert (table.reduced_parameters < table.full_parameters).all()
        full = seed_devel_scores(res, task, feature, "full")
        for row in table.itertuples():  # the best seed's devel score and the seeds' mean ± std, per variant
            reduced = seed_devel_scores(res, task, feature, row.threshold)
            assert [row.full_best, row.full_mean, row.full_std] == pytest.approx(
                [max(full), np.mean(full), np.std(full)], abs=1e-5)
            assert [row.reduced_best, row.reduced_mean, row.reduced_std] == pytest.approx(
                [max(reduced), np.mean(reduced), np.std(reduced)], abs=1e-5)
        md = (res / task / "tables" / "full_vs_reduced.md").read_text()
        assert f"| {feature} | mean | {table.kept_dims[0]}/{dim} |" in md
        recovery = pd.read_csv(res / task / "tables" / "planted_recovery.csv")
        planted = json.loads((run_dir / "resources/demo" / task / "planted.json").read_text())
        assert recovery.precision.between(0, 1).all()
        truth_key = {"faus-raw": "raw:fau"}  # a raw FAU feature is scored against the planted AUs
        assert recovery.planted.tolist() == [len(planted[truth_key.get(f, f)]) for f in recovery.feature]
    for task in ("humor", "mimic"):  # every configured feature's panel, by name (the order the workflow passes)
        stats = {f: store.read_attributions(res / task / "attribution" / f"{f}.h5")
                 for f in sorted(config["tasks"][task]["features"])}
        for which, thresholds in (("mean", config["selection"]["thresholds"]), ("std", ("mean",))):
            assert_drawn_from_the_runs_data(
                res / task / "figures" / f"attribution_{which}.png",
                lambda paths: plot.sorted_attribution_figure(stats, which, task, paths, thresholds), tmp_path)
            assert (res / task / "figures" / f"attribution_{which}.pdf").read_bytes()[:4] == b"%PDF"


def test_late_fusion_tables(run_dir):
    res = run_dir / "results"
    humor = pd.read_csv(res / "humor/tables/fusion.csv")
    assert humor[["variants", "method"]].values.tolist() == [["w2v:full + w2v:mean", "mean"],
                                                             ["w2v:full + w2v:mean", "weighted"]]
    mimic = pd.read_csv(res / "mimic/tables/fusion.csv").set_index(["variants", "method"])
    assert len(mimic) == 4 and mimic.devel.between(-1, 1).all() and mimic.test.notna().all()
    # the mean fusion equals the mean of the best-devel seeds' predictions
    targets = ["Approval_", "Disappointment_", "Uncertainty_"]
    preds = []
    for feature in ("faus", "w2v"):
        seeds = {s: json.loads((res / f"mimic/models/{feature}/full/seed{s}/metrics.json").read_text())
                 for s in (1, 2)}
        best = max(seeds, key=lambda s: seeds[s]["scores"]["devel"])
        df = pd.read_csv(res / f"mimic/models/{feature}/full/seed{best}/predictions.csv", dtype={"sample_id": str})
        preds.append(df[df.partition == "devel"].sort_values("sample_id"))
    fused = (preds[0][[f"pred_{t}" for t in targets]].to_numpy() + preds[1][[f"pred_{t}" for t in targets]].to_numpy()) / 2
    labels = preds[0][[f"label_{t}" for t in targets]].to_numpy()
    expected = np.mean([np.corrcoef(labels[:, k], fused[:, k])[0, 1] for k in range(3)])
    row = mimic.loc[("faus:full + w2v:full", "mean")]
    assert row.devel == pytest.approx(expected, abs=1e-4)
    assert row.best_single_devel == pytest.approx(max(json.loads(
        (res / f"mimic/models/{f}/full/seed{s}/metrics.json").read_text())["scores"]["devel"]
        for f in ("faus", "w2v") for s in (1, 2)))
    # weights fitted on devel are at least as good as the best member there (in-sample)
    assert mimic.loc[("faus:full + w2v:full", "weighted"), "devel"] >= row.best_single_devel - 1e-6
    md = (res / "mimic/tables/fusion.md").read_text()
    assert "| faus+w2v | faus:mean + w2v:p75 | weighted |" in md and "| w2v:p75 |" in md
    assert len(pd.read_csv(res / "mimic/fusion/predictions.csv")) == 4 * 180


def test_fau_figure(run_dir, tmp_path):
    from subspace import fau, store
    figures = run_dir / "results/mimic/figures"
    stats = store.read_attributions(run_dir / "results/mimic/attribution/faus.h5")
    targets = ["Approval_", "Disappointment_", "Uncertainty_"]
    title = "mimic: Integrated Gradients per facial action unit (faus), sorted"
    assert_drawn_from_the_runs_data(figures / "fau_faus.png", lambda p: fau.fau_figure(stats, targets, title, p),
                                    tmp_path)
    assert (figures / "fau_faus.pdf").read_bytes()[:4] == b"%PDF"
    log = (run_dir / "results/logs/mimic/fau_figure/faus.log").read_text()
    assert "most relevant action units (average): AU" in log


def test_finetuning_outputs(run_dir, tmp_path):
    from subspace import finetune
    res = run_dir / "results/mimic/finetune"
    kept = json.loads((run_dir / "results/mimic/selection/w2v/mean.json").read_text())["n_kept"]
    for variant, n_dims in (("full", None), ("mean", kept)):
        m = json.loads((res / variant / "seed1/metrics.json").read_text())
        assert m["n_dims"] == n_dims and m["epochs"] == 3 and m["metric"] == "pearson"
        losses = [h["train_loss"] for h in m["history"]]
        assert losses[-1] < losses[0] and all(0 <= v <= 2 for v in losses)
        assert -1 <= m["scores"]["devel"] <= 1 and "test" in m["scores"]
        title = f"wav2vec 2.0 fine-tuning ({'full' if n_dims is None else f'{n_dims} kept dims'})"
        assert_drawn_from_the_runs_data(res / variant / "seed1/loss_curve.png",
                                        lambda p: finetune.loss_curve(m["history"], p[0], title), tmp_path)
        preds = pd.read_csv(res / variant / "seed1/predictions.csv", dtype={"sample_id": str})
        assert len(preds) == 180 and preds.filter(like="pred_").notna().all().all()
    assert len(list((run_dir / "resources/demo/mimic/audio").glob("*.wav"))) == 180


def test_raw_media_feature_is_translated_extracted_in_shards_and_merged(run_dir):
    res = run_dir / "results/humor"
    with h5py.File(res / "embeddings/bert-en.h5") as raw, h5py.File(res / "embeddings/w2v.h5") as csv:
        assert raw.attrs["encoder"] == "bert-tiny" and raw.attrs["task"] == "humor"
        np.testing.assert_array_equal(raw["sample_id"].asstr()[()], csv["sample_id"].asstr()[()])
        np.testing.assert_array_equal(raw["labels"][()], csv["labels"][()])
        assert raw["features"].shape[1] == 32 and np.isfinite(raw["features"][()]).all()
    assert sorted(p.name for p in (res / "shards/bert-en").glob("*.h5")) == ["0-of-2.h5", "1-of-2.h5"]
    translated = sorted((res / "translated/bert-en").glob("*/*/*.csv"))
    assert len(translated) == 10 and {p.parts[-3] for p in translated} == {"0-of-2", "1-of-2"}
    assert list(pd.read_csv(translated[0]).columns) == ["sentence_id", "word", "start", "end"]
    table = pd.read_csv(res / "tables/full_vs_reduced.csv")
    assert set(table.feature) == {"w2v", "bert-en", "faus-raw"}
    assert "bert-en" not in set(pd.read_csv(res / "tables/planted_recovery.csv").feature)


def test_raw_fau_feature_keeps_the_action_units_and_finds_the_planted_smile(run_dir, tmp_path):
    from subspace import fau, store
    from subspace.demo import FAU_NAMES, RAW_FAU_PLANTED

    res = run_dir / "results/humor"
    with h5py.File(res / "embeddings/faus-raw.h5") as f:
        assert f["dim_names"].asstr()[()].tolist() == FAU_NAMES
        assert ((f["features"][()] >= 0) & (f["features"][()] <= 1)).all()  # py-feat activations
    recovery = pd.read_csv(res / "tables/planted_recovery.csv").set_index(["feature", "threshold"])
    assert recovery.loc[("faus-raw", "mean"), "planted"] == len(RAW_FAU_PLANTED)
    assert recovery.loc[("faus-raw", "mean"), "recall"] == 1.0
    kept = json.loads((res / "selection/faus-raw/mean.json").read_text())["kept"]
    assert set(RAW_FAU_PLANTED) <= {FAU_NAMES[i] for i in kept}
    stats = store.read_attributions(res / "attribution/faus-raw.h5")
    title = "humor: Integrated Gradients per facial action unit (faus-raw), sorted"
    assert_drawn_from_the_runs_data(res / "figures/fau_faus-raw.png",
                                    lambda p: fau.fau_figure(stats, ["humor"], title, p), tmp_path)
    log = (run_dir / "results/logs/humor/fau_figure/faus-raw.log").read_text()
    assert "most relevant action units (humor): AU" in log


def test_topk_sweep_outputs(run_dir, tmp_path, monkeypatch):
    from subspace import evaltables
    from subspace.evaluate import random_order, rank_order

    res = run_dir / "results/humor"
    methods = ["ig", "random", "saliency", "input_x_gradient", "mean_score", "std_score", "mutual_info", "l1_linear"]
    with h5py.File(res / "attribution/w2v.h5") as f:
        ig_mean, explained = f["mean"][()], f.attrs["model"]
    rankings = json.loads((res / "evaluation/rankings/w2v.json").read_text())
    assert rankings["model"] == explained and sorted(rankings["methods"]) == sorted(methods)
    assert rankings["methods"]["ig"]["order"] == rank_order(ig_mean).tolist()
    assert rankings["methods"]["random"]["order"] == random_order(24, 0).tolist()
    for method in methods[2:]:
        scores = np.array(rankings["methods"][method]["scores"])
        assert scores.shape == (24,) and (scores >= 0).all() and scores.max() > 0
        assert rankings["methods"][method]["order"] == rank_order(scores).tolist()
    for method in methods:
        rec = json.loads((res / f"evaluation/topk/w2v/{method}/seed1.json").read_text())
        assert rec["seed"] == 1 and [r["n_dims"] for r in rec["results"]] == [6, 12]  # k: [0.25, 12] of 24
        for r in rec["results"]:
            assert r["dims"] == sorted(rankings["methods"][method]["order"][: r["n_dims"]])
            m = json.loads((res / f"evaluation/topk/w2v/{method}/seed1/k{r['n_dims']}/metrics.json").read_text())
            assert m["n_dims"] == r["n_dims"] and m["scores"] == r["scores"]
    table = pd.read_csv(res / "evaluation/topk/w2v.csv")
    assert sorted(zip(table.method, table.k)) == sorted((m, k) for m in methods for k in (6, 12))
    assert table.devel_mean.between(0, 1).all() and (table.n_seeds == 1).all()
    at = table.set_index(["method", "k"]).devel_mean
    assert at["ig", 6] > at["random", 6], table  # the planted dimensions beat chance
    # paired bootstrap intervals of test score differences; none against itself for the random control
    assert ((table.minus_full_low <= table.minus_full) & (table.minus_full <= table.minus_full_high)).all()
    assert table[table.method == "random"].minus_random.isna().all() and table[table.method == "ig"].minus_random.notna().all()
    assert "| 6 (25%) |" in (res / "evaluation/topk/w2v.md").read_text()
    assert "<table" in (res / "evaluation/topk/w2v.html").read_text()
    monkeypatch.chdir(run_dir)  # the sweep's records name their predictions relative to the run's folder
    again = evaltables.topk_table({m: [f"results/humor/evaluation/topk/w2v/{m}/seed1.json"] for m in methods},
                                  [f"results/humor/models/w2v/full/seed{s}/metrics.json" for s in (1, 2)], "auc")
    # (an empty text cell reads back from the CSV as NaN)
    pd.testing.assert_frame_equal(again.assign(left_out=again.left_out.replace("", np.nan)), table,
                                  check_dtype=False, rtol=1e-5, atol=1e-6)
    assert_drawn_from_the_runs_data(res / "figures/topk_w2v.png", lambda p: evaltables.topk_figure(
        again, "humor / w2v: top-k dimensions by attribution method", "auc", p), tmp_path)
    assert (res / "figures/topk_w2v.pdf").read_bytes()[:4] == b"%PDF"
    assert not (run_dir / "results/mimic/evaluation/topk").exists()  # only the configured features


def test_topk_removal_and_control_outputs(run_dir, tmp_path, monkeypatch):
    """evaluation.removal and evaluation.control on the tiny run's humor w2v sweep (issue 22 items 2, 3)."""
    from subspace import sweeptables

    res = run_dir / "results/humor"
    methods = ["ig", "random", "saliency", "input_x_gradient", "mean_score", "std_score", "mutual_info", "l1_linear"]
    for method in methods:
        rec = json.loads((res / f"evaluation/topk/w2v/{method}/seed1.json").read_text())
        for kept, removed in zip(rec["results"], rec["removed"]):
            assert sorted(kept["dims"] + removed["dims"]) == list(range(24)) and removed["n_removed"] == kept["n_dims"]
    removal = pd.read_csv(res / "evaluation/topk/w2v.removal.csv")
    assert sorted(zip(removal.method, removal.k)) == sorted((m, k) for m in methods for k in (6, 12))
    assert (removal.n_left == 24 - removal.k).all() and removal.removed_minus_full.notna().all()
    control = json.loads((res / "evaluation/control/w2v.json").read_text())
    assert control["permutation"]["train"]["within"] == "group" and sorted(control["records"]) == sorted(methods)
    selectivity = pd.read_csv(res / "evaluation/topk/w2v.control.csv")
    assert selectivity.method.iloc[0] == "full" and len(selectivity) == 1 + 2 * len(methods)
    assert ((selectivity.selectivity_low <= selectivity.selectivity)
            & (selectivity.selectivity <= selectivity.selectivity_high)).all()
    for name in ("w2v.removal", "w2v.control"):
        assert "<table" in (res / f"evaluation/topk/{name}.html").read_text()
    monkeypatch.chdir(run_dir)
    records = {m: [f"results/humor/evaluation/topk/w2v/{m}/seed1.json"] for m in methods}
    full = [f"results/humor/models/w2v/full/seed{s}/metrics.json" for s in (1, 2)]
    again = sweeptables.removal_table(records, full, "auc")
    pd.testing.assert_frame_equal(again, removal, check_dtype=False, rtol=1e-5, atol=1e-6)
    assert_drawn_from_the_runs_data(res / "figures/topk_w2v.removal.png", lambda p: sweeptables.removal_figure(
        again, "humor / w2v: top k kept vs removed", "auc", p), tmp_path)
    again = sweeptables.control_table(records, full, "results/humor/evaluation/control/w2v.json", "auc")
    pd.testing.assert_frame_equal(again, selectivity, check_dtype=False, rtol=1e-5, atol=1e-6)


def test_selection_stability_outputs(run_dir):
    from subspace.evaluate import pairwise_jaccard
    from subspace.select import select_dims

    for task, feature in (("humor", "w2v"), ("mimic", "faus")):
        res = run_dir / "results" / task
        rec = json.loads((res / f"evaluation/stability/{feature}.json").read_text())
        assert len(rec["mean"]) == 2 and rec["model_dirs"] == [
            f"results/{task}/models/{feature}/full/seed{s}" for s in (1, 2)]
        with h5py.File(res / f"attribution/{feature}.h5") as f:
            best_mean, best_model = f["mean"][()], f.attrs["model"]
        assert rec["reused"] == best_model  # the best seed's attributions are not recomputed
        np.testing.assert_allclose(rec["mean"][rec["model_dirs"].index(best_model)], best_mean)
        assert not np.allclose(rec["mean"][0], rec["mean"][1])  # the other seed really was attributed
        table = pd.read_csv(res / "tables/selection_stability.csv")
        table = table[table.feature == feature].reset_index(drop=True)  # mimic has a second feature
        assert table.threshold.tolist() == ["mean", "p75"]
        for row in table.itertuples():
            sets = [select_dims(np.array(m), row.threshold) for m in rec["mean"]]
            assert row.jaccard_mean == pytest.approx(pairwise_jaccard(sets)["mean"], abs=1e-6)
            assert 0 <= row.jaccard_min <= row.jaccard_mean <= 1 and row.kept_by_all <= row.kept_min
        md = (res / "tables/selection_stability.md").read_text()
        assert f"| {feature} | mean | 2 |" in md
        for name in ("full_vs_reduced", "planted_recovery", "selection_stability"):
            assert "<table" in (res / f"tables/{name}.html").read_text()


def test_report_has_every_table_and_figure(run_dir, tmp_path):
    report = tmp_path / "report.html"
    snakemake(run_dir, "--report", str(report))
    html = report.read_text()
    assert report.stat().st_size > 100_000
    for name in ("topk_w2v.png", "attribution_mean.png", "attribution_std.png", "full_vs_reduced.html",
                 "planted_recovery.html", "selection_stability.html", "w2v.html", "attribution_checks.html"):
        assert name in html, name


def test_the_planted_signal_is_found_on_the_tiny_demo(run_dir):
    recovery = pd.read_csv(run_dir / "results/humor/tables/planted_recovery.csv").set_index(["feature", "threshold"])
    assert recovery.loc[("w2v", "mean"), "recall"] >= 0.75


def test_rerun_with_nothing_changed_runs_nothing(run_dir):
    out = snakemake(run_dir, "-n").stdout
    assert "Nothing to be done" in out, out[-2000:]


def test_changing_one_input_reruns_only_what_depends_on_it(run_dir):
    # Snakemake >= 9.18 compares checksums, so a bare `touch` (same content) rightly reruns nothing
    csv = run_dir / "resources/demo/mimic/features/faus/00000.csv"
    original = csv.read_text()
    csv.write_text(original.replace("0.", "0.1", 1))
    out = snakemake(run_dir, "-n", "--quiet", "rules").stdout
    assert "store" in out and "attribute" in out
    assert "demo_humor" not in out and "demo_mimic" not in out
    plan = snakemake(run_dir, "-n", "--summary").stdout
    rerun = [line for line in plan.splitlines() if "update pending" in line or "updated input" in line]
    assert rerun and all("/mimic/" in line for line in rerun), rerun[:5]
    csv.write_text(original)


def test_bad_config_fails_before_any_job_with_a_clear_message(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(TINY.read_text().replace("thresholds: [mean, p75]", "thresholds: [median]"))
    proc = subprocess.run([sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "Snakefile"), "--directory",
                           str(tmp_path), "--configfile", str(bad), "--cores", "1", "-n"],
                          capture_output=True, text=True)
    assert proc.returncode != 0
    assert "median" in proc.stderr + proc.stdout
    assert not (tmp_path / "results").exists()


def test_lint_is_clean():
    proc = subprocess.run([sys.executable, "-m", "snakemake", "--lint", "--snakefile", str(ROOT / "Snakefile"),
                           "--directory", str(ROOT)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
