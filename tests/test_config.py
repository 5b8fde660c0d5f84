"""The typed config model: one place for every key, the generated schema and tables, every problem at once."""
import copy
import subprocess
import sys

import pytest
import yaml

from conftest import ROOT
from subspace.config import docs
from subspace.config.checks import Problem
from subspace.config.encoders import check_against_model
from subspace.config.load import ConfigError, load
from subspace.config.model import Config, Encoder

SHIPPED = ["config/config.yaml", "tests/data/tiny_config.yaml", "tests/data/deploy_config.yaml"]


def raw(path):
    return yaml.safe_load((ROOT / path).read_text())


def problems_of(config, files=("my.yaml",)) -> list[Problem]:
    with pytest.raises(ConfigError) as err:
        load(config, list(files))
    return err.value.problems


def test_the_schema_and_the_key_tables_are_generated_from_the_model():
    assert docs.main(["--check"]) == 0, "run `python -m subspace.config.docs --write`"
    # every key of the model has its row, with its default
    tables = docs.tables_text()
    assert "| `tasks.<task>.features.<feature>.lr` | float | `0.0001` |" in tables
    assert "| `training.batch_size` | int | `256` |" in tables
    assert docs.schema_text() == docs.SCHEMA.read_text()


def test_a_hand_edit_of_the_key_tables_is_stale_and_overwritten():
    current = docs.README.read_text()
    edited = current.replace("| `training.batch_size` | int | `256` |", "| `training.batch_size` | int | `512` |")
    assert edited != current
    assert docs.readme_text(edited) == current  # regenerated from the model, whatever the file said


@pytest.mark.parametrize("path", SHIPPED)
def test_the_shipped_configs_load(path, monkeypatch):
    monkeypatch.chdir(ROOT)
    cfg = load(raw(path), [path])
    assert cfg.tasks and cfg.seeds


def test_every_type_problem_is_listed_at_once_with_its_key_and_file():
    config = raw("tests/data/deploy_config.yaml")
    config["seeds"] = [-1, 2**33]
    config["tasks"]["mimic"]["type"] = "bin"
    config["tasks"]["mimic"]["features"]["w2v"]["lrr"] = 0.1
    config["trainig"] = {}
    found = {p.key: p.message for p in problems_of(config)}
    assert set(found) == {"seeds[0]", "seeds[1]", "tasks.mimic.type", "tasks.mimic.features.w2v.lrr", "trainig"}
    assert "did you mean 'lr'" in found["tasks.mimic.features.w2v.lrr"]
    assert "did you mean 'training'" in found["trainig"]
    assert "4294967295" in found["seeds[1]"]  # numpy's and torch's seed range, before any job


def test_the_report_groups_problems_by_the_file_that_set_them(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "base.yaml").write_text("seeds: [-1]\n")
    (tmp_path / "mine.yaml").write_text("training: {batch_size: 0}\n")
    config = {**raw("tests/data/deploy_config.yaml"), "seeds": [-1], "training": {"batch_size": 0}}
    with pytest.raises(ConfigError) as err:
        load(config, [str(tmp_path / "base.yaml"), str(tmp_path / "mine.yaml")])
    text = str(err.value)
    assert text.startswith("2 problems in the config")
    assert text.index("base.yaml:") < text.index("seeds[0]") < text.index("mine.yaml:") < text.index("batch_size")


def test_the_paper_config_without_data_names_every_missing_path_in_one_round(monkeypatch):
    monkeypatch.chdir(ROOT)
    config = raw("config/paper.yaml")
    problems = problems_of(config, ["config/paper.yaml"])
    keys = {p.key for p in problems}
    paths = {f"tasks.{t}.{k}" for t, task in config["tasks"].items()
             for k in ("partition_file", "label_dir", "label_file", "feature_dir") if k in task}
    assert paths <= keys
    assert {f"encoders.{name}.model" for name, e in config["encoders"].items() if "model" in e} <= keys
    assert {"finetune.mimic.model", "finetune.mimic.audio_dir"} <= keys
    assert len(problems) >= 20
    report = str(ConfigError(problems, ["config/paper.yaml"]))
    assert "docs/real-data-paper.md#what-to-place-where" in report and "Traceback" not in report


@pytest.mark.parametrize("results", ["", "  ", "/", "."])
def test_a_results_folder_that_would_scatter_outputs_is_refused(results, monkeypatch):
    monkeypatch.chdir(ROOT)
    config = raw("tests/data/deploy_config.yaml")
    config["results"] = results
    assert [p.key for p in problems_of(config)] == ["results"]


def test_a_results_folder_inside_the_data_or_around_it_is_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    data = tmp_path / "disk" / "data"
    (data / "features" / "w2v").mkdir(parents=True)
    for name in ("partition.csv", "labels.csv"):
        (data / name).write_text("x\n")
    config = raw("tests/data/deploy_config.yaml")
    del config["demo"]
    config["tasks"]["mimic"].update(partition_file=str(data / "partition.csv"), label_file=str(data / "labels.csv"),
                                   feature_dir=str(data / "features"))
    assert load(dict(config, results=str(tmp_path / "out")), ["my.yaml"]).results == str(tmp_path / "out")
    inside = problems_of(dict(config, results=str(data / "features" / "out")))
    assert [p.key for p in inside] == ["results"] and "inside your data" in inside[0].message
    around = problems_of(dict(config, results=str(tmp_path / "disk")))
    assert "contains your data" in around[0].message


def test_encoder_settings_are_checked_against_the_models_config():
    model = {"model_type": "bert", "num_hidden_layers": 4, "max_position_embeddings": 64}
    ok = Encoder(kind="text", model="m", layer=-1, max_length=64)
    assert list(check_against_model("encoders.e", ok, model)) == []
    default_too_long = Encoder(kind="text", model="m")  # 128 tokens by default
    assert [p.key for p in check_against_model("encoders.e", default_too_long, model)] == ["encoders.e.max_length"]
    roberta = Encoder(kind="text", model="m", max_length=64)
    assert [p.key for p in check_against_model("encoders.e", roberta, {**model, "model_type": "roberta"})] == \
        ["encoders.e.max_length"]  # two positions go to the padding offset
    assert [p.key for p in check_against_model("encoders.e", Encoder(kind="text", model="m", layer=5, max_length=8),
                                                model)] == ["encoders.e.layer"]
    assert list(check_against_model("encoders.e", Encoder(kind="text", model="m", layer=-5, max_length=8), model)) == []


def test_a_gpu_device_without_a_declared_gpu_is_refused(monkeypatch):
    monkeypatch.chdir(ROOT)
    config = raw("tests/data/deploy_config.yaml")
    config["training"] = {**config["training"], "device": "cuda"}
    assert [p.key for p in problems_of(config)] == ["training.device"]
    config["training"]["gpu"] = 1
    assert load(config, ["my.yaml"]).training.device == "cuda"


def test_a_config_error_stops_snakemake_in_one_message_without_a_traceback(tmp_path):
    config = raw("tests/data/deploy_config.yaml")
    config["seeds"] = [-1]
    config["tasks"]["mimic"]["features"]["w2v"]["model_dimm"] = 3
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(config))
    proc = subprocess.run([sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "Snakefile"), "--directory",
                           str(tmp_path), "--configfile", str(bad), "-n"], capture_output=True, text=True)
    assert proc.returncode == 1
    err = proc.stderr
    assert "2 problems in the config" in err and "bad.yaml:" in err
    assert "seeds[0]" in err and "tasks.mimic.features.w2v.model_dimm: unknown key (did you mean 'model_dim'?)" in err
    assert "Traceback" not in err and 'File "' not in err and not (tmp_path / "results").exists()


def test_defaults_live_once_in_the_model():
    # the library's dataclasses read theirs from the model: no literal default is written twice
    for module in ("decoder", "train", "attribute", "finetune"):
        text = (ROOT / "subspace" / f"{module}.py").read_text()
        assert "= default(" in text, module
    common = (ROOT / "workflow/rules/common.smk").read_text()
    assert ".get(" not in common and "config[" not in common
    cfg = copy.deepcopy(raw("tests/data/deploy_config.yaml"))
    assert load(cfg, ["x.yaml"]).training.max_epochs == 2


def test_lists_that_name_distinct_things_refuse_repeats(monkeypatch):
    monkeypatch.chdir(ROOT)
    config = raw("tests/data/deploy_config.yaml")
    config["seeds"] = [1, 1, 2]
    config["selection"] = {"thresholds": ["mean", "p75", "mean"]}
    found = {p.key: p.message for p in problems_of(config)}
    assert found == {"seeds": "1 listed more than once", "selection.thresholds": "'mean' listed more than once"}


def test_more_shards_than_videos_and_a_head_that_cannot_take_the_selection_are_refused(monkeypatch):
    monkeypatch.chdir(ROOT)
    config = raw("config/config.yaml")
    config["extraction"]["shards"] = 25  # the demo's Humor task has 24 videos
    config["finetune"]["mimic"]["demo"]["hidden_size"] = 64
    found = [(p.key, p.message) for p in problems_of(config)]
    assert found == [("extraction.shards", "25 shards for the 24 videos of tasks.humor: at most 24"),
                     ("finetune.mimic.demo.hidden_size", "64, but the selection of w2v picks from 128 dimensions: "
                                                         "the sub-space head needs the model's hidden size to be 128")]
