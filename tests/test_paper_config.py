"""config/paper.yaml (the paper's whole experiment on the real MuSe 2023 data) dry-runs on a stub tree
of the real layouts, and the paper-vs-run table puts the paper's numbers beside a run's."""
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from subspace import paper
from subspace.cli import main as cli_main

ROOT = Path(__file__).resolve().parents[1]
PAPER_CONFIG = ROOT / "config/paper.yaml"
PACKAGES = Path("data/MuSe-2023/packages")
# every rule of the paper's experiment, and the paper-vs-run table with its HTML rendering
PAPER_RULES = {"store", "extract", "merge_embeddings", "translate", "train", "attribute", "select", "table",
               "plot_attributions", "fuse", "fau_figure", "finetune", "paper_table", "table_html"}
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "vocab.txt", "special_tokens_map.json")
MODEL_FILES = {  # model_type -> the files of a real folder of that kind (besides config.json and weights)
    "wav2vec2": ("preprocessor_config.json", "vocab.json", "tokenizer_config.json"),
    "bert": TOKENIZER_FILES, "electra": TOKENIZER_FILES,
    "fsmt": ("vocab-src.json", "vocab-tgt.json", "merges.txt", "tokenizer_config.json"),
    "vit": ("preprocessor_config.json",),
}


def write(path: Path, text: str = "") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def stub_model(folder: Path, model_type: str, hidden: int) -> None:
    """An untrained stand-in with the files a real HuggingFace folder of this kind has."""
    from safetensors.numpy import save_file
    write(folder / "config.json", json.dumps({"model_type": model_type, "hidden_size": hidden,
                                              "architectures": [f"{model_type}Model"]}))
    save_file({"stub": np.zeros(1, dtype=np.float32)}, str(folder / "model.safetensors"))
    for name in MODEL_FILES[model_type]:
        write(folder / name, "{}" if name.endswith(".json") else "stub\n")


def build_stub_tree(root: Path, n_mimic: int = 40) -> dict:
    """The organisers' packages (c1_muse_mimic, c2_muse_humor) with tiny CSVs, dummy raw media at the
    paths config/paper.yaml names, and the encoders' model folders."""
    cfg = yaml.safe_load(PAPER_CONFIG.read_text())
    humor_pkg, mimic_pkg = root / PACKAGES / "c2_muse_humor", root / PACKAGES / "c1_muse_mimic"
    # Humor: 3 train + 1 devel coach with 4 videos each (16 = the most shards of a Humor feature),
    # 1 test coach without labels, as in the real package
    coaches = {"coach_a": "train", "coach_b": "train", "coach_c": "train", "coach_d": "devel", "coach_e": "test"}
    write(humor_pkg / "metadata/partition.csv", "Id,Partition\n" + "".join(f"{c},{p}\n" for c, p in coaches.items()))
    humor = cfg["tasks"]["humor"]
    for coach, part in coaches.items():
        for v in range(4):
            video = f"{coach}_{v}"
            if part != "test":
                write(humor_pkg / f"label_segments/{coach}/{video}.csv",
                      "segment_id,timestamp_start,timestamp_end,humor\n"
                      f"{10 * v + 1},0,2000,0\n{10 * v + 2},2000,4000,1\n")
            for feature, hp in humor["features"].items():
                if hp.get("source", "csv") == "csv":
                    write(humor_pkg / f"feature_segments/{feature}/{coach}/{video}.csv",
                          f"segment_id,timestamp,{feature}_0,{feature}_1\n{10 * v + 1},0,0.1,0.2\n")
            for key in ("audio", "video", "transcript", "fau"):
                write(root / humor["media"][key].format(subject=coach, video=video))
    # Mimic: quoted ids in the partition and label files, as in the real package
    mimic = cfg["tasks"]["mimic"]
    ids = [f"{i:05d}" for i in range(1, n_mimic + 1)]
    parts = ["train" if i % 10 < 7 else "devel" if i % 10 < 9 else "test" for i in range(n_mimic)]
    write(mimic_pkg / "partition.csv", "Id,Partition\n" + "".join(f'"{v}",{p}\n' for v, p in zip(ids, parts)))
    write(mimic_pkg / "labels.csv", "filename,Approval_,Disappointment_,Uncertainty_\n"
          + "".join(f'"{v}",0.1,0.2,0.3\n' for v, p in zip(ids, parts) if p != "test"))
    for v in ids:
        for feature, hp in mimic["features"].items():
            if hp.get("source", "csv") == "csv":
                write(mimic_pkg / f"features/{feature}/{v}.csv", f"timestamp,segment_id,{feature}_0\n0,0,0.5\n")
        for key in ("audio", "transcript", "fau"):
            write(root / mimic["media"][key].format(subject=v, video=v))
    hidden = {"audio": 1024, "text": 768, "translation": 1024, "video": 384}
    model_types = {"audio": "wav2vec2", "video": "vit", "translation": "fsmt"}
    for enc in cfg["encoders"].values():
        if enc.get("model"):
            kind = model_types.get(enc["kind"]) or ("electra" if "electra" in enc["model"] else "bert")
            stub_model(root / enc["model"], kind, hidden[enc["kind"]])
    return cfg


def dry_run(workdir: Path) -> subprocess.CompletedProcess:
    """The documented command (docs/real-data-paper.md), run where config/config.yaml (the demo) also is."""
    write(workdir / "config/config.yaml", (ROOT / "config/config.yaml").read_text())
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}", HF_HUB_OFFLINE="1")
    cmd = [sys.executable, "-m", "snakemake", "-n", "--snakefile", str(ROOT / "Snakefile"), "--directory", str(workdir),
           "--configfile", str(PAPER_CONFIG), "--replace-workflow-config", "--cores", "16", "--resources", "gpu=1"]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=workdir)


def job_counts(stdout: str) -> dict[str, int]:
    lines = stdout.split("Job stats:", 1)[1].splitlines()
    counts = {}
    for line in lines[3:]:
        parts = line.split()
        if len(parts) != 2 or not parts[1].isdigit():
            break
        counts[parts[0]] = int(parts[1])
    return counts


@pytest.fixture(scope="module")
def stub_dry_run(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("paper")
    cfg = build_stub_tree(workdir)
    proc = dry_run(workdir)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-6000:]
    return cfg, job_counts(proc.stdout)


def test_paper_config_dry_run_lists_every_rule_of_the_paper(stub_dry_run):
    cfg, counts = stub_dry_run
    assert PAPER_RULES <= set(counts), f"missing rules: {sorted(PAPER_RULES - set(counts))}"
    # no demo rule leaks in from config/config.yaml
    assert not {"demo", "tiny_model", "planted_recovery", "finetune_demo_mimic"} & set(counts)
    n_features = sum(len(t["features"]) for t in cfg["tasks"].values())
    thresholds = cfg["selection"]["thresholds"]
    assert counts["train"] == n_features * (1 + len(thresholds))
    assert counts["select"] == n_features * len(thresholds)
    raw = [hp for t in cfg["tasks"].values() for hp in t["features"].values() if hp.get("source", "csv") != "csv"]
    assert counts["extract"] == sum(hp["shards"] for hp in raw)
    assert counts["merge_embeddings"] == len(raw)
    assert counts["translate"] == cfg["tasks"]["humor"]["features"]["bert-en"]["shards"]
    assert counts["store"] == n_features - len(raw)
    ft = cfg["finetune"]["mimic"]
    assert counts["finetune"] == len(ft["variants"]) * len(ft["seeds"])
    assert counts["paper_table"] == 2 and counts["fuse"] == 2
    assert counts["fau_figure"] == sum(len(v) for v in cfg["fau_features"].values())


def test_no_paper_table_without_paper_keys(tmp_path):
    """The demo-sized tiny config sets no `paper:`: no paper_vs_run table is asked for."""
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}", HF_HUB_OFFLINE="1")
    proc = subprocess.run([sys.executable, "-m", "snakemake", "-n", "--snakefile", str(ROOT / "Snakefile"),
                           "--directory", str(tmp_path), "--configfile", str(ROOT / "tests/data/tiny_config.yaml"),
                           "--cores", "1"], env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    counts = job_counts(proc.stdout)
    assert "table" in counts and "paper_table" not in counts


def test_paper_config_holds_the_baselines_rows_and_defaults():
    cfg = yaml.safe_load(PAPER_CONFIG.read_text())
    assert cfg["seeds"] == [101, 102, 103, 104, 105]
    assert cfg["training"] == {"batch_size": 256, "max_epochs": 100, "d_fc_out": 64}
    assert cfg["selection"]["thresholds"] == ["mean", "p75"]
    # humor_best.sh / mimic_best.sh (EIHW/MuSe-2023 @ bb5f7f2; docs/sources.md): normalise, dim, layers, bi, lr,
    # GRU dropout, patience
    best = {("humor", "w2v-msp"): (False, 128, 2, False, 0.005, 0.0, 3, 1),
            ("humor", "bert-multilingual"): (False, 128, 4, False, 0.001, 0.0, 3, 1),
            ("humor", "vit"): (True, 64, 2, False, 0.0001, 0.0, 3, 1),
            ("humor", "faus"): (False, 32, 4, True, 0.005, 0.5, 3, 1),
            ("mimic", "w2v-msp"): (False, 128, 2, False, 0.001, 0.5, 10, 5),
            ("mimic", "electra"): (False, 128, 1, True, 0.005, 0.0, 10, 5),
            ("mimic", "faus"): (False, 256, 4, True, 0.0005, 0.0, 10, 5)}
    keys = ("normalise", "model_dim", "rnn_layers", "bidirectional", "lr", "rnn_dropout", "early_stopping_patience",
            "reduce_lr_patience")
    raw_twin = {"w2v-msp": "w2v-raw", "vit": "vit-raw", "faus": "faus-raw", "bert-multilingual": "mbert-raw",
                "electra": "electra-raw"}
    for (task, feature), row in best.items():
        for name in (feature, raw_twin[feature]):
            hp = cfg["tasks"][task]["features"][name]
            assert tuple(hp[k] for k in keys) == row, (task, name)
            assert hp["fc_dropout"] == 0.5
    assert cfg["tasks"]["humor"]["features"]["bert-en"]["model_dim"] == 128
    papers = {t: {hp["paper"] for hp in v["features"].values()} for t, v in cfg["tasks"].items()}
    assert papers == {"humor": {"w2v", "vit", "faus", "mbert", "bert-en"}, "mimic": {"w2v", "electra", "faus"}}


# --- the paper-vs-run table ---

def full_vs_reduced_csv(path: Path) -> Path:
    rows = []
    for feature, total, kept in (("w2v-msp", 1024, {"mean": 200, "p75": 256}), ("faus", 20, {"mean": 7, "p75": 5}),
                                 ("bert-en", 768, {"mean": 300, "p75": 192})):
        for threshold, k in kept.items():
            rows.append({"task": "humor", "feature": feature, "threshold": threshold, "kept_dims": k,
                         "total_dims": total, "full_best": 0.84, "full_mean": 0.83, "full_std": 0.01,
                         "reduced_best": 0.85 if threshold == "mean" else 0.80, "reduced_mean": 0.82,
                         "reduced_std": 0.02, "full_test": 0.79, "reduced_test": 0.81,
                         "full_parameters": 200_000, "reduced_parameters": 100_000 if threshold == "mean" else 150_000,
                         "full_train_s": 10.0, "reduced_train_s": 6.0})
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def fusion_csv(path: Path) -> Path:
    rows = [{"variants": "w2v-msp:mean + bert-en:full", "method": "mean", "devel": 0.90, "test": 0.84},
            {"variants": "w2v-msp:mean + bert-en:full", "method": "weighted", "devel": 0.91, "test": 0.85},
            {"variants": "w2v-msp:full + bert-en:full", "method": "mean", "devel": 0.88, "test": 0.83},
            {"variants": "w2v-msp:full + other:full", "method": "mean", "devel": 0.70, "test": 0.70}]
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def test_paper_table_puts_reported_numbers_beside_the_run(tmp_path):
    df = paper.paper_vs_run("humor", {"w2v-msp": "w2v", "bert-en": "bert-en", "faus": "faus"},
                            full_vs_reduced_csv(tmp_path / "fvr.csv"), fusion_csv(tmp_path / "fusion.csv"))
    w2v = df[df.run == "w2v-msp"].set_index("variant")
    assert list(w2v.index) == ["full", "mean", "p75"]
    assert w2v.loc["full", "paper_devel_best"] == .8435 and w2v.loc["full", "run_devel_best"] == 0.84
    assert w2v.loc["full", "paper_test"] == .7940 and w2v.loc["full", "run_test"] == 0.79
    assert w2v.loc["mean", "paper_kept_dims"] == 216 and w2v.loc["mean", "run_kept_dims"] == 200
    assert w2v.loc["mean", "devel_best_diff"] == pytest.approx(0.85 - .8321)
    assert w2v.loc["mean", "paper_test"] == .8074 and w2v.loc["mean", "run_test"] == 0.81
    assert w2v.loc["mean", "paper_fewer_parameters"] == .54 and w2v.loc["mean", "run_fewer_parameters"] == 0.5
    assert w2v.loc["mean", "paper_less_train_time"] == .48 and w2v.loc["mean", "run_less_train_time"] == 0.4
    assert math.isnan(w2v.loc["full", "run_fewer_parameters"])
    assert w2v.loc["p75", "paper_kept_dims"] == 257 and math.isnan(w2v.loc["p75", "paper_devel_best"])
    # the paper reports no Humor FAU numbers, and no p75 row for BERT-en
    assert "faus" not in set(df.run)
    assert list(df[df.run == "bert-en"].variant) == ["full", "mean"]
    assert df[df.run == "bert-en"].paper_devel_best.tolist() == [.8274, .8260]
    fusion = df[df.kind == "fusion"].set_index("paper")
    assert set(fusion.index) == {"A+T, reduced audio + BERT-en"}  # weighted and unmatched rows left out
    assert fusion.loc["A+T, reduced audio + BERT-en", "paper_test"] == .8381
    assert fusion.loc["A+T, reduced audio + BERT-en", "run_test"] == 0.84


def test_paper_table_finetune_rows_and_cli(tmp_path):
    files = {}
    for variant, devel in (("full", [0.40, 0.45]), ("mean", [0.43, 0.41])):
        files[variant] = []
        for seed, d in zip((101, 102), devel):
            p = tmp_path / variant / f"seed{seed}/metrics.json"
            write(p, json.dumps({"scores": {"devel": d, "test": d - 0.02}, "seed": seed}))
            files[variant].append(str(p))
    fvr = tmp_path / "fvr.csv"
    pd.DataFrame([{"feature": "w2v-msp", "threshold": "mean", "kept_dims": 300, "total_dims": 1024,
                   "full_best": 0.43, "full_mean": 0.42, "full_std": 0.01, "reduced_best": 0.42,
                   "reduced_mean": 0.41, "reduced_std": 0.01, "full_test": 0.40, "reduced_test": 0.39,
                   "full_parameters": 10, "reduced_parameters": 5, "full_train_s": 1.0, "reduced_train_s": 1.0}]).to_csv(
        fvr, index=False)
    spec = {"task_type": "regression", "features": {"w2v-msp": "w2v"}, "full_vs_reduced": str(fvr), "fusion": None,
            "finetune": files}
    out_csv, out_md = tmp_path / "t/paper_vs_run.csv", tmp_path / "t/paper_vs_run.md"
    assert cli_main(["paper-table", "--task", "mimic", "--spec", json.dumps(spec), "--csv", str(out_csv),
                     "--md", str(out_md)]) == 0
    df = pd.read_csv(out_csv)
    ft = df[df.kind == "finetune"].set_index("variant")
    assert ft.loc["full", "paper_devel_best"] == .4824 and ft.loc["full", "run_devel_best"] == 0.45
    assert ft.loc["full", "run_test"] == pytest.approx(0.43)  # the best devel seed's test score
    assert ft.loc["mean", "paper_test"] == .4573 and ft.loc["mean", "run_devel_best"] == 0.43
    assert ft.loc["mean", "run_devel_mean"] == pytest.approx(0.42)
    dec = df[df.kind == "decoder"].set_index("variant")
    assert dec.loc["full", "paper_devel_best"] == .4317 and dec.loc["mean", "paper_devel_best"] == .4311
    md = out_md.read_text()
    assert "| decoder | w2v-msp | wav2vec 2.0 | full | 0.4317 | 0.4300 (0.4200 ± 0.0100) | -0.0017 |" in md
    assert "10.1145/3606039.3613102" in md


def test_paper_table_bad_input_names_the_file(tmp_path, capsys):
    fvr = full_vs_reduced_csv(tmp_path / "fvr.csv")
    spec = {"task_type": "binary", "features": {"vit": "vit"}, "full_vs_reduced": str(fvr)}
    out = tmp_path / "out.csv"
    assert cli_main(["paper-table", "--task", "humor", "--spec", json.dumps(spec), "--csv", str(out),
                     "--md", str(tmp_path / "out.md")]) == 1
    assert f"error: {fvr}: no rows for feature 'vit'" in capsys.readouterr().err
    assert not out.exists()
    spec["full_vs_reduced"] = str(tmp_path / "missing.csv")
    assert cli_main(["paper-table", "--task", "humor", "--spec", json.dumps(spec), "--csv", str(out),
                     "--md", str(tmp_path / "out.md")]) == 1
    assert "missing.csv: file does not exist" in capsys.readouterr().err


def test_every_reported_number_is_a_score_or_a_count():
    for (task, feature, variant), rep in paper.DECODERS.items():
        assert feature in paper.LABELS and task in ("humor", "mimic")
        for score in (rep.devel_best, rep.devel_mean, rep.test):
            assert math.isnan(score) or 0 < score < 1
        assert math.isnan(rep.kept_dims) or 0 < rep.kept_dims <= rep.total_dims
