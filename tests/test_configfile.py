"""Config errors name the file that set the key (subspace/config/files.py), also when a job finds them."""
import os

from subspace.config.files import FILES_ENV, file_of
from subspace.errors import config_error


def test_the_last_file_that_sets_a_key_is_named(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "base.yaml").write_text("encoders:\n  w2v: {kind: audio, model: m, layer: -1}\ntraining: {batch_size: 3}\n")
    (tmp_path / "mine.yaml").write_text("encoders:\n  w2v: {layer: 30}\n")
    files = [str(tmp_path / "base.yaml"), str(tmp_path / "mine.yaml")]
    assert file_of("encoders.w2v.layer", files) == "mine.yaml"
    assert file_of("encoders.w2v.model", files) == "base.yaml"
    assert file_of("training.batch_size", files) == "base.yaml"
    assert file_of("encoders.w2v.pool_ms", files) == "mine.yaml"      # unset: where its section was last set
    assert file_of("fusion.methods", files) == "mine.yaml"            # no such section: the last file
    # a job gets the files from the environment that the workflow exports
    monkeypatch.setenv(FILES_ENV, os.pathsep.join(files))
    err = config_error("encoders.w2v.layer", "layer 30 does not exist: the model has 2 layers")
    assert str(err) == "mine.yaml: encoders.w2v.layer: layer 30 does not exist: the model has 2 layers"
