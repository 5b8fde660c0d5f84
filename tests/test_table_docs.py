"""docs/your-corpus.md as a new user follows it: each worked config (the yaml blocks marked `# docs-test:`) on data
in the form its text describes, with no converter beyond the table; the manifest snippets on manifests.

The configs whose targets are binary or regression load as they are and run their store jobs in the workflow;
those with the target kinds (`multiclass`, `metric`) run their jobs' steps with the docs' task as it is (the
config keys of the target kinds are issue #20's other half).
"""
import json
import os
import re
import shutil
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import soundfile as sf
import yaml

from conftest import ROOT
from subspace import store, tiny_models
from subspace.cli import main

DOC = ROOT / "docs/your-corpus.md"
SR = 1000  # the tiny wav2vec 2.0's rate; the WAVs are written at 16 kHz and resampled


def blocks(language: str) -> dict[str, str]:
    found = re.findall(rf"```{language}\n# docs-test: ([\w-]+)\n(.*?)```", DOC.read_text(), flags=re.S)
    return {name: text for name, text in found}


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    root = tmp_path_factory.mktemp("models")
    return {"audio": tiny_models.build("wav2vec2", root / "w2v", seed=0, sampling_rate=SR),
            "text": tiny_models.build("bert", root / "bert", seed=0)}


def wav(path, k):
    path.parent.mkdir(parents=True, exist_ok=True)
    t = np.arange(16000 * 2) / 16000
    sf.write(path, (0.1 * np.sin(2 * np.pi * (100 + 40 * k) * t)).astype(np.float32), 16000)


def split_of(i, n, names=("train", "dev", "test")):
    return names[0] if i < n * 0.6 else names[1] if i < n * 0.8 else names[2]


def write_data(name, work):
    """The data a block's text describes, as a user has it."""
    folder = {"npy-folder": "stress", "ser4": "ser"}.get(name, name)
    rng, d = np.random.default_rng(0), work / "data" / folder
    if name == "iemocap":
        rows = [{"utt": f"Ses{s}_{k:02d}", "wav": f"Session{s}/rec.wav", "start": 0.1 * k, "end": 0.1 * k + 0.5,
                 "session": f"Ses{s}", "split": {1: "train", 2: "train", 3: "train", 4: "dev", 5: "test"}[s],
                 "emotion": ["neu", "hap", "ang", "sad", "exc"][k % 5]} for s in range(1, 6) for k in range(10)]
        for s in range(1, 6):
            wav(d / f"Session{s}/rec.wav", s)
        pd.DataFrame(rows).to_csv(_mk(d) / "iemocap.csv", index=False)
    elif name == "msp":
        rows = [{"FileName": f"MSP_{i:03d}.wav", "EmoClass": "NHAS"[i % 4], "EmoAct": 1 + i % 7, "EmoVal": 1 + i % 5,
                 "EmoDom": 1 + i % 3, "SpkrID": f"{i // 4}", "Split_Set": split_of(i, 40, ("Train", "Development",
                                                                                        "Test1"))} for i in range(40)]
        for r in rows:
            wav(d / "Audios" / r["FileName"], len(r["FileName"]))
        pd.DataFrame(rows).to_csv(d / "Audios/labels.csv", index=False)
    elif name == "npy-folder":
        rows = [{"id": f"u{i:02d}", "speaker": f"s{i // 4}", "split": split_of(i, 40, ("train", "devel", "test")),
                 "stressed": i % 2} for i in range(40)]
        for r in rows:
            np.save(_mk(d / "emb") / f"{r['id']}.npy", rng.standard_normal(192).astype(np.float32))
        pd.DataFrame(rows).to_csv(d / "meta.csv", index=False)
    elif name == "ser4":
        rows = [{"path": f"clips/{i:03d}.wav", "emotion": ["neutral", "happy", "angry", "sad"][i % 4],
                 "split": split_of(i, 40, ("train", "valid", "test"))} for i in range(40)]
        for r in rows:
            wav(d / r["path"], int(r["path"][6:9]))
        pd.DataFrame(rows).to_csv(d / "labels.csv", index=False)
    elif name == "vectors":
        pd.DataFrame({"id": [f"utt{i}" for i in range(50)], "label": np.arange(50) % 2,
                      "split": [split_of(i, 50, ("train", "devel", "test")) for i in range(50)]}
                     ).to_csv(_mk(d) / "meta.csv", index=False)
        np.save(d / "vectors.npy", rng.standard_normal((50, 384)).astype(np.float32))
    elif name == "ratings":
        pd.DataFrame({"id": range(30), "speaker": [f"p{i // 3}" for i in range(30)],
                      "split": [split_of(i, 30, ("train", "devel", "test")) for i in range(30)],
                      "text": [f"the coach says the team played {'well' if i % 2 else 'hard'}" for i in range(30)],
                      "rating": 1 + np.arange(30) % 5}).to_csv(_mk(d) / "ratings.tsv", sep="\t", index=False)


def _mk(folder):
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def place_models(config, work, models):
    for enc in config.get("encoders", {}).values():
        shutil.copytree(models[enc["kind"]], work / enc["model"], dirs_exist_ok=True)


def job_spec(config, task):
    """What the workflow passes a table task's store or extraction job (steps/store.py, steps/extract.py)."""
    t = dict(config["tasks"][task])
    return {k: v for k, v in t.items() if k != "features"}


def run_store_jobs(config, task, feature, out):
    """The jobs that make a feature's store: `store` (pre-computed) or `extract` + `merge_embeddings`."""
    spec, hp = job_spec(config, task), config["tasks"][task]["features"][feature]
    if hp["source"] == "precomputed":
        spec["vectors"] = {k: hp[k] for k in ("path", "ids_key", "matrix_key") if k in hp}
        return main(["store", "--task", task, "--feature", feature, "--spec", json.dumps(spec), "--out", str(out)])
    spec["encoder"] = dict(config["encoders"][hp["source"]], name=hp["source"])
    shard = out.with_suffix(".0.h5")
    code = main(["extract", "--task", task, "--feature", feature, "--spec", json.dumps(spec), "--shard", "0",
                 "--n-shards", "1", "--out", str(shard)])
    return code or main(["merge_embeddings", "--task", task, "--feature", feature, "--spec", json.dumps(spec),
                         "--shards", str(shard), "--out", str(out)])


@pytest.mark.parametrize("name", ["iemocap", "msp", "npy-folder", "ser4", "vectors", "ratings"])
def test_each_worked_config_stores_its_table_as_written(name, tmp_path, models, monkeypatch, capsys):
    config = yaml.safe_load(blocks("yaml")[name])
    monkeypatch.chdir(tmp_path)
    write_data(name, tmp_path)
    place_models(config, tmp_path, models)
    for task, t in config["tasks"].items():
        for feature in t["features"]:
            out = tmp_path / f"{task}.{feature}.h5"
            assert run_store_jobs(config, task, feature, out) == 0, capsys.readouterr().err
            emb = store.read_embeddings(out)
            table = tmp_path / t["table"]
            sep = "\t" if str(table).endswith(".tsv") else ","
            rows = pd.read_csv(table, sep=sep, dtype=str)
            assert emb.sample_ids.tolist() == rows[t.get("table_columns", {}).get("id", "id")].tolist()
            assert set(emb.partitions) == {"train", "devel", "test"}
            if t["type"] == "multiclass":
                names = rows[t["targets"][0]].map(lambda v: t.get("class_map", {}).get(v, v))
                assert emb.attrs["classes"] == t["classes"]
                assert emb.labels[:, 0].tolist() == [float(t["classes"].index(v)) for v in names]
            else:
                np.testing.assert_allclose(emb.labels, rows[t["targets"]].astype(float).to_numpy(), rtol=1e-6)


@pytest.mark.parametrize("name, target", [("npy-folder", "results/stress/embeddings/ecapa.h5"),
                                          ("vectors", "results/vectors/embeddings/minilm.h5"),
                                          ("ratings", "results/ratings/embeddings/bert.h5")])
def test_a_worked_config_runs_in_the_workflow_as_it_is(name, target, tmp_path, models):
    (tmp_path / "my.yaml").write_text(blocks("yaml")[name])
    write_data(name, tmp_path)
    place_models(yaml.safe_load(blocks("yaml")[name]), tmp_path, models)
    env = dict(os.environ, PATH=f"{os.path.dirname(sys.executable)}{os.pathsep}{os.environ['PATH']}")
    cmd = [sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "Snakefile"), "--directory", str(tmp_path),
           "--configfile", str(tmp_path / "my.yaml"), "--cores", "2"]
    dry = subprocess.run(cmd + ["-n"], env=env, capture_output=True, text=True)
    assert dry.returncode == 0 and "full_vs_reduced" in dry.stdout, dry.stderr[-3000:]
    run = subprocess.run(cmd + [target], env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-3000:]
    emb = store.read_embeddings(tmp_path / target)
    bert = json.loads((models["text"] / "config.json").read_text())["hidden_size"]
    expected = {"npy-folder": (40, 192), "vectors": (50, 384), "ratings": (30, bert)}[name]
    assert (len(emb.sample_ids), emb.dim) == expected


def manifests(name, work):
    """Small manifests of each toolkit's format: 6 train, 3 devel and 2 test utterances of 3 emotions."""
    splits = {"speechbrain": ("train", "valid", "test"), "s3prl": ("train", "dev", "test"),
              "audiofolder": ("train", "validation", "test")}[name]
    for split, n in zip(splits, (6, 3, 2)):
        emotions, speakers = [["ang", "hap", "neu"][i % 3] for i in range(n)], [f"{split}_s{i % 2}" for i in range(n)]
        if name == "speechbrain":
            pd.DataFrame({"ID": [f"{split}{i}" for i in range(n)], "duration": 1.0,
                          "wav": [f"$data_root/{split}/{i}.wav" for i in range(n)], "spk_id": speakers,
                          "emo": emotions}).to_csv(_mk(work / "manifests") / f"{split}.csv", index=False)
        elif name == "s3prl":
            items = [{"path": f"Session1/{split}{i}.wav", "label": e, "speaker": s}
                     for i, (e, s) in enumerate(zip(emotions, speakers))]
            meta = {"labels": {"neu": 0, "hap": 1, "ang": 2}, "meta_data": items}
            (_mk(work / "meta_data") / f"{split}_meta_data.json").write_text(json.dumps(meta))
        else:
            pd.DataFrame({"file_name": [f"{i}.wav" for i in range(n)], "label": emotions, "speaker_id": speakers}
                         ).to_csv(_mk(work / "audio" / split) / "metadata.csv", index=False)


@pytest.mark.parametrize("name", ["speechbrain", "s3prl", "audiofolder"])
def test_each_manifest_snippet_writes_a_table_the_reader_takes(name, tmp_path, monkeypatch):
    from subspace.table import read_table
    monkeypatch.chdir(tmp_path)
    manifests(name, tmp_path)
    exec(compile(blocks("python")[name], name, "exec"), {})
    table = pd.read_csv(tmp_path / "table.csv")
    assert {"id", "file", "group", "split"} <= set(table.columns) and len(table) == 11
    target = {"speechbrain": "emo", "s3prl": "label", "audiofolder": "label"}[name]
    devel = {"speechbrain": "dev", "s3prl": "dev", "audiofolder": "validation"}[name]
    rows = read_table({"layout": "table", "type": "multiclass", "classes": ["neu", "hap", "ang"], "targets": [target],
                       "table": str(tmp_path / "table.csv"), "splits": {"devel": devel}})
    assert rows.partitions.count("devel") == 3 and len(set(rows.groups)) == 6
