"""End to end: the `table` layout through the Snakemake workflow (tests/data/table_config.yaml): one demo table
feeding two tasks; raw WAV segments cut by start/end, text rows, .npy vectors and sequences, one .npz; and the
table's problems stopping the workflow before any job."""
import json
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import yaml

from conftest import ROOT

CONFIG = ROOT / "tests/data/table_config.yaml"


def snakemake(workdir, config, *args, check=True):
    env = dict(os.environ, PATH=f"{os.path.dirname(sys.executable)}{os.pathsep}{os.environ['PATH']}")
    cmd = [sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "Snakefile"), "--directory", str(workdir),
           "--configfile", str(config), "--cores", "2", *args]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise AssertionError(f"snakemake failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-6000:]}")
    return proc


@pytest.fixture(scope="module")
def table_run(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("table_workflow")
    snakemake(workdir, CONFIG)
    return workdir


def test_every_feature_kind_of_a_table_runs_to_the_tables(table_run):
    from subspace import store
    res, data = table_run / "results", table_run / "resources/demo/emotion"
    rows = pd.read_csv(data / "samples.csv")
    dims = {"xvec": 24, "frames": 16, "wavlm": 20, "audio": 32, "text": 32}
    for feature, dim in dims.items():
        emb = store.read_embeddings(res / "emotion/embeddings" / f"{feature}.h5")
        assert emb.sample_ids.tolist() == rows.id.tolist() and emb.groups.tolist() == rows.speaker.tolist()
        assert emb.dim == dim and emb.attrs["targets"] == ["arousal", "valence"]
        np.testing.assert_array_equal(emb.labels, rows[["arousal", "valence"]].to_numpy(np.float32))
        assert emb.partitions.tolist() == rows.split.map({"train": "train", "dev": "devel", "test": "test"}).tolist()
        lengths = {len(s) for s in emb.sequences}
        assert lengths == {1} if feature in ("xvec", "wavlm", "text") else max(lengths) > 1
    audio = store.read_embeddings(res / "emotion/embeddings/audio.h5")
    assert audio.timestamps[1][0] == int(round(rows.start[1] * 1000))  # cut at the row's start (250 ms windows)
    assert [len(s) for s in audio.sequences] == [4] * len(rows)  # 1 s utterances, not their whole 4.25 s WAV
    table = pd.read_csv(res / "emotion/tables/full_vs_reduced.csv")
    assert sorted(table.feature) == sorted(dims) and table.full_best.between(-1, 1).all()
    recovery = pd.read_csv(res / "emotion/tables/planted_recovery.csv")
    planted = json.loads((data / "planted.json").read_text())
    assert sorted(recovery.feature) == ["frames", "wavlm", "xvec"]
    assert recovery.planted.tolist() == [len(planted[f]) for f in recovery.feature]
    for feature in ("xvec", "wavlm"):
        model = json.loads((res / "emotion/models" / feature / "full/seed1/metrics.json").read_text())
        assert model["parameters"] == 16 * dims[feature] + (16 * 16 + 16) + (16 * 2 + 2)  # mlp: no GRU


def test_one_table_feeds_a_second_task_with_another_target(table_run):
    res = table_run / "results"
    metrics = json.loads((res / "aroused/models/xvec/full/seed1/metrics.json").read_text())
    assert metrics["metric"] == "auc" and 0 <= metrics["scores"]["devel"] <= 1
    preds = pd.read_csv(res / "aroused/models/xvec/full/seed1/predictions.csv")
    rows = pd.read_csv(table_run / "resources/demo/emotion/samples.csv")
    assert preds.sample_id.tolist() == rows.id.tolist() and preds.label_aroused.tolist() == rows.aroused.tolist()
    assert preds.group.tolist() == rows.speaker.tolist()


def user_table_config(tmp_path, edit):
    """A user's table (not the demo's) with one pre-computed feature, broken by ``edit``."""
    from subspace import demo_table
    spec = yaml.safe_load(CONFIG.read_text())["demo"]["tables"]["emotion"]
    spec = dict(spec, audio=None, text=False, features={"xvec": spec["features"]["xvec"]})
    demo_table.make_table(tmp_path / "data", spec, seed=0)
    df = pd.read_csv(tmp_path / "data/samples.csv")
    edit(df)
    df.to_csv(tmp_path / "data/samples.csv", index=False)
    config = {"tasks": {"emo": {"type": "regression", "layout": "table", "targets": ["arousal"],
                                "table": str(tmp_path / "data/samples.csv"), "table_columns": {"group": "speaker"},
                                "splits": {"devel": "dev"}, "features": {"xvec": {
                                    "source": "precomputed", "path": str(tmp_path / "data/features/xvec/{id}.npy")}}}}}
    (tmp_path / "my.yaml").write_text(yaml.safe_dump(config))
    return tmp_path / "my.yaml"


def test_a_bad_table_stops_the_workflow_before_any_job_with_every_problem(tmp_path):
    def breaks(df):
        df.loc[4, "id"] = df.id[2]
        df.loc[80, "speaker"] = df.speaker[0]
        df.loc[7, "split"] = "validation"
    proc = snakemake(tmp_path, user_table_config(tmp_path, breaks), "-n", check=False)
    table = tmp_path / "data/samples.csv"
    assert proc.returncode == 1 and "3 problems in the config (nothing has run)" in proc.stderr, proc.stderr
    for problem in (f"tasks.emo.table: {table}: id '{'spk00_u002'}' appears twice (rows 4 and 6, column 'id')",
                    f"tasks.emo.table: {table}: unknown split names ['validation'] (row 9, column 'split')",
                    f"tasks.emo.table: {table}: group 'spk00' has samples in train (row 2) and devel (row 82)"):
        assert problem in proc.stderr, proc.stderr
    assert not (tmp_path / "results").exists()
    fine = snakemake(tmp_path, user_table_config(tmp_path, lambda df: None), "-n")
    assert "store" in fine.stdout


def test_every_table_path_in_every_shell_command_is_quoted(tmp_path):
    """The table config's whole DAG with the results and demo folders (so the table, its media and its .npy
    files) holding a space: each printed command splits into arguments none of which is a piece of a path."""
    import shlex
    text = CONFIG.read_text().replace("resources/demo", "data dir/démo")
    config = dict(yaml.safe_load(text), results="out dir/résultats")
    config["demo"]["root"] = "data dir/démo"
    (tmp_path / "spaces.yaml").write_text(yaml.safe_dump(config, allow_unicode=True))
    proc = snakemake(tmp_path, tmp_path / "spaces.yaml", "-n", "-p", "--forceall")
    commands = [line.split("Shell command: ", 1)[1] for line in proc.stdout.splitlines()
                if "Shell command: " in line and not line.endswith("Shell command: None")]
    rules = {shlex.split(command)[3] for command in commands}
    assert {"demo", "store", "extract", "merge_embeddings", "train"} <= rules, rules
    tables = []
    for command in commands:
        args = shlex.split(command)
        assert not [a for a in args if a in ("out", "data") or a.startswith("dir/")], command
        tables += [json.loads(a)["table"] for a in args if a.startswith("{") and '"table"' in a]
    assert len(tables) >= 8 and set(tables) == {"data dir/démo/emotion/samples.csv"}  # (store, extract, merge)
