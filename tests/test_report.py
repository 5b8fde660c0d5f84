"""The report a researcher reads first: each task's summary page (which dimensions, how much smaller, how good,
the warnings first), tables that fit the report's frame, report sections that follow what the run made, and the
summary printed at the end of a run.

Unit tests build tables with the workflow's own writers (tables.comparison_table from metrics.json files); the
end-to-end tests read the shared tiny run and build its report (a one-task run: tests/test_report_own_run.py)."""
import base64
import json
import shutil
import subprocess
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest
import yaml

from conftest import TINY, run_snakemake
from reportpages import FRAME, Tables, browser, page_text, page_width, report_data
from subspace import htmltables, reportsections, summary, tables
from subspace.config.load import load
from subspace.layout import Results
from subspace.plan import Plan
from subspace.steps import summary as summary_cmd
from subspace.steps import task_summary


# ---- tables written by the workflow's own writers


def metrics(tmp_path, name, devel, test, n_dims, parameters, collapsed=()):
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps({"scores": {"devel": devel, "test": test}, "n_dims": n_dims, "parameters": parameters,
                                "train_seconds": 10.0 * n_dims, "median_epoch_seconds": 0.1 * n_dims,
                                "collapsed_targets": list(collapsed)}))
    return str(path)


@pytest.fixture
def full_vs_reduced(tmp_path):
    """A two-seed table: every seed of faus' full decoder learned nothing; one seed of w2v's p75 decoder did."""
    full, reduced, selections = {}, {}, {}
    for feature, collapsed in (("w2v", ()), ("faus", ["humor"])):
        full[feature] = [metrics(tmp_path, f"{feature}_full{s}", 0.70 - s / 100, 0.66, 24, 5000, collapsed)
                         for s in (1, 2)]
        for threshold, kept in (("mean", 9), ("p75", 6)):
            reduced[(feature, threshold)] = [
                metrics(tmp_path, f"{feature}_{threshold}{s}", 0.64 + s / 100, 0.61, kept, 1000 + 100 * kept,
                        ["humor"] if (feature, threshold, s) == ("w2v", "p75", 1) else ()) for s in (1, 2)]
            sel = tmp_path / f"{feature}_{threshold}.json"
            sel.write_text(json.dumps({"n_kept": kept, "n_total": 24, "kept": list(range(kept))}))
            selections[(feature, threshold)] = str(sel)
    df = tables.comparison_table("humor", full, reduced, selections)
    csv = tmp_path / "full_vs_reduced.csv"
    df.to_csv(csv, index=False)
    return csv


def test_the_full_vs_reduced_page_fits_names_its_metric_and_flags_what_learned_nothing(full_vs_reduced, tmp_path):
    out = tmp_path / "t.html"
    htmltables.html_table(full_vs_reduced, "humor: full vs reduced", out, metric="auc")
    parsed = Tables(out.read_text())
    compact, full = parsed.tables
    assert compact["headers"] == ["feature", "threshold", "kept", "devel ROC AUC: full → reduced",
                                  "test ROC AUC: full → reduced", "parameters, training time: full → reduced"]
    assert not compact["scroll"]
    rows = list(zip(compact["rows"], compact["classes"][1:]))
    w2v = next(r for r, _ in rows if r[:2] == ["w2v", "mean"])
    assert w2v[2] == "9 of 24 (38%)" and w2v[3] == "0.6900 → 0.6600 (-0.0300) 0.685 ± 0.005 → 0.655 ± 0.005"
    assert w2v[5] == "5,000 → 1,900 (-62%) 240.0 s → 90.0 s (-62%)"  # parameters and time saved, in per cent
    i = next(i for i, (r, _) in enumerate(rows) if r[:2] == ["faus", "p75"])
    (faus, faus_class), (note, note_class) = rows[i], rows[i + 1]
    assert faus_class == note_class == "failed"  # the row, and a line under it that spans the table
    assert note == ["⚠ learned nothing (nearly constant devel predictions): full decoder: every seed"]
    i = next(i for i, (r, _) in enumerate(rows) if r[:2] == ["w2v", "p75"])
    assert [cls for _, cls in rows[i:i + 2]] == ["warn", "warn"]  # some seeds: amber, not red
    assert rows[i + 1][0] == ["⚠ learned nothing (nearly constant devel predictions): decoder on the p75 selection: "
                              "1 of 2 seeds"]
    assert next(cls for r, cls in rows if r[:2] == ["w2v", "mean"]) == ""
    assert ("faus: decoders learned nothing beyond the label prior (nearly constant devel predictions; full: every "
            "seed): its scores, and the selection made from its attributions, mean nothing") in page_text(parsed)
    # the full table: every CSV column, in a box of its own; the CSV itself as a download
    csv = pd.read_csv(full_vs_reduced)
    assert full["headers"] == list(csv.columns) and full["scroll"] and len(full["rows"]) == len(csv)
    (link,) = [a for a in parsed.links if a.get("download")]
    assert base64.b64decode(link["href"].split(",", 1)[1]) == full_vs_reduced.read_bytes()


def test_any_wide_table_gets_a_compact_view_with_intervals_merged_and_sentences_as_notes(tmp_path):
    rng = np.random.default_rng(0)
    rows = []
    for method in ("ig", "random"):
        for k in (3, 6):
            delta = rng.normal(0, 0.05)
            rows.append({"method": method, "k": k, "k_config": k / 24, "n_seeds": 2, "devel_mean": rng.random(),
                         "devel_std": 0.01, "test_mean": rng.random(), "test_std": 0.02, "parameters": 100 * k,
                         "train_s": rng.random(), "epochs": int(rng.integers(3, 9)), "tied_by_index": int(k == 3),
                         "left_out": "a sentence far too long for a narrow cell of a table" * (method == "random"),
                         "minus_full": delta, "minus_full_low": delta - 0.1, "minus_full_high": delta - 0.01,
                         "minus_random": delta, "minus_random_low": delta - 0.02, "minus_random_high": delta + 0.02,
                         "ci_partition": "test", "ci_resamples": 1000})
    csv = tmp_path / "w2v.csv"
    pd.DataFrame(rows).to_csv(csv, index=False)
    view = htmltables.compact_view(pd.read_csv(csv), "pearson")
    headers = view["headers"]
    # identifiers, then the differences with intervals, then the scores with their spread, while the frame has room
    assert headers[:2] == ["method", "k"]
    assert {"minus full (Δ mean Pearson r) [95% interval]", "minus random (Δ mean Pearson r) [95% interval]",
            "devel mean Pearson r, mean ± std", "test mean Pearson r, mean ± std"} <= set(headers)
    widths = [htmltables.column_width(h, [row[j] for row in view["rows"]]) for j, h in enumerate(headers)]
    assert sum(widths) <= htmltables.FRAME_WIDTH
    assert view["hidden"] and not set(view["hidden"]) & set(headers)  # what did not fit is named
    r = rows[0]
    cell = view["rows"][0][headers.index("minus full (Δ mean Pearson r) [95% interval]")]
    assert cell == (f"{r['minus_full']:+.4f}* <small>[{r['minus_full_low']:+.3f}, "
                    f"{r['minus_full_high']:+.3f}]</small>")  # * : the interval excludes 0
    assert "ci partition = test" in view["constants"] and "n seeds = 2" in view["constants"]
    assert not any("far too long" in c for row in view["rows"] for c in row)
    assert view["notes"] == [f"random, {k} — left out: {rows[-1]['left_out']}" for k in (3, 6)]


def test_kept_dimensions_read_as_ranges_or_as_names():
    assert summary.kept_list({"kept": [0, 1, 2, 5, 7, 8], "kept_names": ["w2v_0", "w2v_1", "w2v_2", "w2v_5", "w2v_7",
                                                                          "w2v_8"]}) == \
        "dimensions 0–2, 5, 7–8 (named w2v_<i>)"
    assert summary.kept_list({"kept": [3, 4], "kept_names": ["3", "4"]}) == "dimensions 3–4"
    assert summary.kept_list({"kept": [4, 9], "kept_names": ["AU06", "AU12"]}) == "AU06, AU12"


def test_the_end_of_run_summary_never_fails_the_run(tmp_path):
    text = tmp_path / "humor" / "summary.txt"
    text.parent.mkdir()
    text.write_text("humor: a table\n")
    out = []

    class Stream:
        write = out.append
    summary_cmd.print_after_run([str(text), str(tmp_path / "mimic/summary.txt")], "results", Stream)
    assert "humor: a table" in out[0] and "snakemake --report results/report.html" in out[0]
    text.write_bytes(b"\xff\xfe not utf-8")
    summary_cmd.print_after_run([str(text)], "results", Stream)
    assert out[-1].startswith("(no run summary: UnicodeDecodeError")
    summary_cmd.print_after_run([str(tmp_path / "none.txt")], "results", Stream)
    assert out[-1] == ""  # a partial run (one target) has no summary to print


# ---- the shared tiny run: its summary pages and its report


def tiny_config():
    return load(yaml.safe_load(TINY.read_text()), [str(TINY)])


@pytest.fixture(scope="module")
def tiny_report(tiny_run, tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "report.html"
    run_snakemake(tiny_run, "--report", str(out))
    return {"path": out, **report_data(out.read_text())}


def test_each_summary_page_answers_from_the_runs_own_files(tiny_run):
    cfg = tiny_config()
    r = Results(str(tiny_run / "results"))
    for task, t in cfg.tasks.items():
        parsed = Tables(Path(r.summary(task, "html")).read_text())
        answer = [row for row in parsed.tables[0]["rows"] if len(row) > 1]  # not the notes under failed rows
        df = pd.read_csv(r.table(task, "full_vs_reduced", "csv"))
        assert len(answer) == len(df) == len(t.features) * 2
        for row, (_, expected) in zip(answer, df.iterrows()):
            sel = json.loads(Path(r.selection(task, row[0], row[1])).read_text())
            assert row[2].startswith(f"{sel['n_kept']} of {sel['n_total']}")
            assert row[3].startswith(f"{expected.full_best:.4f} → {expected.reduced_best:.4f}")
        html = Path(r.summary(task, "html")).read_text()
        for feature in t.features:
            sel = json.loads(Path(r.selection(task, feature, "mean")).read_text())
            assert f"<b>mean</b> threshold keeps {sel['n_kept']} of {sel['n_total']}: " in html
        text = Path(r.summary(task, "txt")).read_text()
        assert text.startswith(f"{task}: devel ") and f"page: results/{task}/summary.html" in text
    mimic = Path(r.summary("mimic", "html")).read_text()
    for feature in cfg.tasks["mimic"].features:  # a strip per target, a bar per dimension
        section = mimic.split(f"<h3>{feature}: ")[1].split("<h3>")[0]
        for target in cfg.tasks["mimic"].targets:
            strip = section[section.index(f"aria-label='{target}'"):]
            assert strip[:strip.index("</svg>")].count("<rect") == cfg.demo.mimic.features[feature].dim
    assert "Fine-tuned wav2vec 2.0" in mimic and "Late fusion" in mimic
    humor = Path(r.summary("humor", "html")).read_text()
    assert "Fine-tuned" not in humor and "Per target" not in humor  # one target: no per-target strips


def test_warnings_come_first_and_in_words(tiny_run, tmp_path):
    """The summary of files that carry warnings: a scale warning in the attribution file and many empty samples
    in the store (copies of the tiny run's files, changed where the attribute and store jobs record them)."""
    spec = task_summary.spec(tiny_config(), "humor")
    spec = json.loads(json.dumps(spec).replace('"results/', f'"{tiny_run}/results/'))  # the run's own files
    feature = spec["features"]["w2v"]
    for key, name in (("attribution", "attr.h5"), ("store", "store.h5")):
        shutil.copy(feature[key], tmp_path / name)
        feature[key] = str(tmp_path / name)
    with h5py.File(feature["attribution"], "a") as f:
        f.attrs["scale_warning"] = "input scales span 340x: w2v_3 dominates"
    with h5py.File(feature["store"], "a") as f:
        n = len(f["partition"])
        f.attrs["empty_segments"], f.attrs["empty_share"] = n // 5, (n // 5) / n
    summary.write_summary(spec, tmp_path / "s.html", tmp_path / "s.txt")
    html = (tmp_path / "s.html").read_text()
    first = html.index("Read first")
    assert first < html.index("<table")
    assert "w2v, attributions: input scales span 340x: w2v_3 dominates" in html[first:html.index("<table")]
    assert f"w2v: {n // 5} of {n} samples (20.0%) had no feature rows" in html
    assert "! w2v, attributions: input scales span 340x" in (tmp_path / "s.txt").read_text()


def test_report_sections_follow_what_the_run_made(tiny_run, tiny_report):
    cfg = tiny_config()
    plan = Plan(cfg)
    categories, results = tiny_report["categories"], tiny_report["results"]
    assert set(categories) == set(cfg.tasks)
    for task, sections in categories.items():
        assert set(sections) <= set(reportsections.SECTIONS), sections
        assert sorted(sections)[0] == reportsections.SUMMARY  # the report lists sections alphabetically
        assert sections[reportsections.SUMMARY] == [plan.r.summary(task, "html")]
        assert all(results[p]["labels"] and results[p]["caption"] for paths in sections.values() for p in paths)
        assert (reportsections.FUSION in sections) == (task in cfg.fusion.combinations)
        assert (reportsections.FINETUNE in sections) == (task in cfg.finetune)
        assert (reportsections.FAU in sections) == (task in cfg.fau_features)
        beyond_checks = [p for p in plan.evaluation_outputs(task) if "attribution_checks" not in p]
        assert (reportsections.EVALUATION in sections) == bool(beyond_checks)
    shown = {p for sections in categories.values() for paths in sections.values() for p in paths}
    readable = {p for p in plan.outputs() if p.endswith((".png", ".html"))}
    assert readable <= shown, readable - shown  # every figure and table page of the run is in the report
    kept = {plan.r.selection(t, f, th) for t in cfg.tasks for f in cfg.tasks[t].features
            for th in cfg.selection.thresholds}
    assert kept <= shown
    landing = tiny_report["landing"]
    assert "Start with each task" in landing and "Evaluation beyond the paper" in landing
    assert all(f"showCategory('{task}')" in landing for task in cfg.tasks)


# ---- in a browser: nothing wider than the page


@pytest.mark.skipif(not browser(), reason="no Chromium (apt-get install chromium)")
def test_no_page_of_the_report_is_wider_than_its_frame(tiny_run, tmp_path):
    results = tiny_run / "results"
    pages = [p for pattern in ("*/summary.html", "*/tables/*.html", "*/evaluation/topk/*.html")
             for p in sorted(results.glob(pattern))]
    assert len(pages) >= 8
    widths = {str(p.relative_to(tiny_run)): page_width(p, tmp_path) for p in pages}
    assert all(w <= FRAME for w in widths.values()), widths


@pytest.mark.skipif(not browser(), reason="no Chromium (apt-get install chromium)")
def test_the_report_renders_in_a_browser(tiny_report, tmp_path):
    from PIL import Image
    shot = tmp_path / "report.png"
    subprocess.run([browser(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                    f"--screenshot={shot}", "--window-size=1400,1000", tiny_report["path"].as_uri()],
                   capture_output=True, timeout=120)
    pixels = np.asarray(Image.open(shot).convert("L"))
    assert pixels.shape == (1000, 1400) and pixels.std() > 20  # drawn, not a blank or one-colour page
