"""The full-vs-reduced Markdown table people read: test scores next to devel, and no ± for one seed."""
import json

from subspace import tables


def metrics(tmp_path, name, devel, test, n_dims=4, parameters=100, collapsed=()):
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps({"scores": {"devel": devel, "test": test}, "n_dims": n_dims, "parameters": parameters,
                                "train_seconds": 1.0, "median_epoch_seconds": 0.1,
                                "collapsed_targets": list(collapsed)}))
    return str(path)


def table(tmp_path, full_scores, reduced_scores, full_collapsed=()):
    sel = tmp_path / "sel.json"
    sel.write_text(json.dumps({"n_kept": 2, "n_total": 4, "kept": [0, 3]}))
    full = [metrics(tmp_path, f"f{i}", d, t, collapsed=full_collapsed if i == 0 else ())
            for i, (d, t) in enumerate(full_scores)]
    reduced = [metrics(tmp_path, f"r{i}", d, t, n_dims=2, parameters=60) for i, (d, t) in enumerate(reduced_scores)]
    df = tables.comparison_table("mimic", {"w2v": full}, {("w2v", "mean"): reduced}, {("w2v", "mean"): str(sel)})
    md_path = tmp_path / "t.md"
    tables.write_table(df, tmp_path / "t.csv", md_path, "mimic: full vs reduced decoders", "pearson")
    return md_path.read_text()


def test_one_seed_has_test_scores_and_no_std(tmp_path):
    md = table(tmp_path, [(0.5, 0.41)], [(0.6, 0.52)])
    assert "±" not in md, md
    assert "| w2v | mean | 2/4 | 0.5000 | 0.6000 | 0.4100 | 0.5200 | 100 → 60 (40% fewer) |" in md, md
    assert "full test pearson" in md and "one seed" in md


def test_several_seeds_show_mean_std_and_the_best_seeds_test_score(tmp_path):
    md = table(tmp_path, [(0.5, 0.41), (0.7, 0.33)], [(0.6, 0.52), (0.4, 0.9)])
    # best devel seed of the full decoder is the second (test 0.33); of the reduced, the first (test 0.52)
    assert "| 0.7000 (0.6000 ± 0.1000) | 0.6000 (0.5000 ± 0.1000) | 0.3300 | 0.5200 |" in md, md
    assert "best of the 2 seeds" in md
    assert "Nearly constant" not in md


def test_decoders_that_learned_nothing_are_named_under_the_table(tmp_path):
    md = table(tmp_path, [(0.5, 0.41), (0.7, 0.33)], [(0.6, 0.52), (0.4, 0.9)], full_collapsed=["Approval_"])
    assert "Nearly constant devel predictions" in md and "w2v full (1 of 2)" in md, md
    assert "w2v mean" not in md.split("Nearly constant")[1]
