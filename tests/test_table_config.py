"""The config of table tasks and pre-computed features: what is checked before any job (every problem at once),
task names, and what the plan reads (docs/your-corpus.md)."""
import numpy as np
import pandas as pd
import pytest
import yaml

from conftest import ROOT
from subspace.config.load import ConfigError, load
from subspace.plan import Plan


@pytest.fixture
def corpus(tmp_path):
    """A user's corpus: a table of 8 speakers with WAV paths, one .npy vector per utterance."""
    rows = [{"id": f"u{i:02d}", "file": f"wav/u{i:02d}.wav", "speaker": f"s{i // 4}", "split": split,
             "label": i % 2} for i, split in enumerate(["train"] * 16 + ["devel"] * 8 + ["test"] * 8)]
    (tmp_path / "wav").mkdir()
    (tmp_path / "emb").mkdir()
    for r in rows:
        (tmp_path / r["file"]).write_bytes(b"RIFF")
        np.save(tmp_path / "emb" / f"{r['id']}.npy", np.zeros(4, np.float32))
    pd.DataFrame(rows).to_csv(tmp_path / "samples.csv", index=False)
    return tmp_path


def config(corpus, name="my_corpus", **task):
    features = {"vec": {"source": "precomputed", "path": str(corpus / "emb/{id}.npy"), "decoder": "mlp"}}
    return {"tasks": {name: dict({"type": "binary", "layout": "table", "targets": ["label"],
                                  "table": str(corpus / "samples.csv"), "table_columns": {"group": "speaker"},
                                  "features": features}, **task)},
            "encoders": {"w2v": {"kind": "audio", "model": str(corpus / "model")},
                         "faces": {"kind": "fau"}}}


def problems(raw) -> str:
    with pytest.raises(ConfigError) as caught:
        load(raw, ["my.yaml"])
    return str(caught.value)


def test_a_table_task_with_its_own_name_loads_and_plans_its_store(corpus):
    cfg = load(config(corpus), ["my.yaml"])
    plan = Plan(cfg)
    assert plan.store_features() == ["vec"] and plan.raw_features() == []
    inputs = plan.store_inputs("my_corpus", "vec")
    assert inputs[0] == str(corpus / "samples.csv") and inputs[1:3] == [str(corpus / "emb/u00.npy"),
                                                                         str(corpus / "emb/u01.npy")]
    assert len(inputs) == 33 and plan.label_inputs("my_corpus") == [str(corpus / "samples.csv")]
    from subspace.steps import store, train
    assert train.spec(cfg, "my_corpus", "vec")["decoder"]["decoder"] == "mlp"  # the job builds the mlp decoder
    assert store.spec(cfg, "my_corpus", "vec")["vectors"] == {"path": str(corpus / "emb/{id}.npy"), "ids_key": "ids",
                                                              "matrix_key": "features"}


def test_task_names_are_lower_case_words_and_not_a_results_folder(corpus):
    assert "name 'IEMOCAP-4': string should match pattern '^[a-z][a-z0-9_]*$'" in problems(config(corpus, "IEMOCAP-4"))
    assert "tasks.logs: 'logs' is a folder of every run under `results`" in problems(config(corpus, "logs"))


def test_what_a_table_task_cannot_read_is_named_before_any_job(corpus):
    raw = config(corpus, partition_file=str(corpus / "samples.csv"), media={"audio": str(corpus / "a/{video}.wav")},
                 splits={"devel": "train"})
    feats = raw["tasks"]["my_corpus"]["features"]
    feats.update({"organisers": {}, "faus": {"source": "faces"}, "nowhere": {"source": "precomputed",
                                                                             "path": str(corpus / "none/{id}.npy")},
                  "braces": {"source": "precomputed", "path": str(corpus / "emb/{video}.npy")},
                  "nopath": {"source": "precomputed"}})
    raw["tasks"]["other"] = {"type": "binary", "layout": "humor", "targets": ["humor"], "partition_file": "x.csv",
                             "label_dir": "x", "feature_dir": "x", "features": {"v": {"source": "precomputed",
                                                                                     "path": "x.npz"}}}
    text = problems(raw)
    for problem in ("tasks.my_corpus.partition_file: is not read by the table layout",
                    "tasks.my_corpus.media: is not read by the table layout",
                    "tasks.my_corpus.features.organisers.source: `csv` reads the organisers' feature folders",
                    "tasks.my_corpus.features.faus.source: a fau encoder cannot read a sample table",
                    f"tasks.my_corpus.features.nowhere.path: folder {corpus / 'none'} does not exist",
                    "tasks.my_corpus.features.braces.path: '", "is not a path template with only {id}",
                    "tasks.my_corpus.features.nopath.path: a precomputed feature needs `path`",
                    "tasks.other.features.v.source: pre-computed features need the table layout"):
        assert problem in text, text


def test_a_table_is_read_when_the_config_is_and_its_problems_listed_with_the_others(corpus):
    df = pd.read_csv(corpus / "samples.csv")
    df.loc[3, "file"] = "wav/gone.wav"
    df.loc[5, "label"] = 2
    df.to_csv(corpus / "samples.csv", index=False)
    raw = config(corpus)
    raw["tasks"]["my_corpus"]["features"]["w2v"] = {"source": "w2v"}
    text = problems(raw)
    table = corpus / "samples.csv"
    assert f"tasks.my_corpus.table: {table}: file 'wav/gone.wav' does not exist" in text
    assert (f"tasks.my_corpus.table: {table}: label '2' is not 0 or 1 (binary task): name the positive label value "
            f"with `positive:` (the other value is then 0) (row 7, column 'label')") in text
    assert "encoders.w2v.model: model folder" in text  # (the other problems too, at once)
    assert "gone.wav" not in problems(config(corpus))  # files are checked only where a feature reads them


def test_the_shipped_demo_config_loads_with_its_table_task():
    cfg = load(yaml.safe_load((ROOT / "config/config.yaml").read_text()), ["config/config.yaml"])
    tables = [t for t, task in cfg.tasks.items() if task.layout == "table"]
    assert tables and all(Plan(cfg).is_demo(t) for t in tables)


def test_more_shards_than_the_tables_media_files_are_refused(corpus):
    """A table task's extraction shards share out its media files: more shards than files leave one empty."""
    raw = config(corpus)
    raw["tasks"]["my_corpus"]["features"]["speech"] = {"source": "w2v", "shards": 33}
    assert ("tasks.my_corpus.features.speech.shards: 33 shards for the 32 media files of tasks.my_corpus: "
            "at most 32") in problems(raw)
    raw["tasks"]["my_corpus"]["features"]["speech"]["shards"] = 32
    assert "shards for" not in problems(raw)  # (the missing model folder is still named)
