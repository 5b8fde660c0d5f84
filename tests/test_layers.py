"""Layers as features: one extraction pass gives every listed layer, each layer's store is that layer's hidden
states, the plan merges a layer feature from its family's shards, and the layer table picks the best layer."""

import numpy as np
import pytest
import soundfile as sf
import torch
import yaml

from subspace import demo, embed, media, tiny_models
from subspace.config.load import ConfigError, load
from subspace.plan import Plan
from subspace.steps import extract as extract_step


@pytest.fixture(scope="module")
def w2v(tmp_path_factory):
    return str(tiny_models.build("wav2vec2", tmp_path_factory.mktemp("models") / "w2v", seed=0, sampling_rate=1000))


@pytest.fixture(scope="module")
def humor(tmp_path_factory):
    root = tmp_path_factory.mktemp("humor")
    spec = {"coaches": {"train": 2, "devel": 1, "test": 1}, "videos_per_coach": 1, "segments_per_video": 6,
            "positive_rate": 0.5, "features": {"w2v": {"dim": 6, "planted": 2, "signal": 0.3}},
            "raw": {"sampling_rate": 1000, "video_fps": 4, "image_size": 32, "signal": 0.5}}
    demo.make_humor(root, spec, 5)
    return {"layout": "humor", "targets": ["humor"], "partition_file": str(root / "metadata/partition.csv"),
            "label_dir": str(root / "label_segments"), "media": {"audio": f"{root}/raw/audio/{{subject}}/{{video}}.wav"}}


def test_one_pass_gives_each_layer_as_the_models_hidden_states(w2v, tmp_path):
    from transformers import AutoFeatureExtractor, AutoModel
    sf.write(tmp_path / "x.wav", 0.2 * np.random.default_rng(0).normal(size=1500), 1000)  # one chunk, no padding
    wav = media.read_wav(tmp_path / "x.wav", 1000)
    enc = embed.AudioEncoder({"kind": "audio", "model": w2v, "pool_ms": 0, "layers": [-1, 0, 1]})
    _, rows = enc.embed_file(tmp_path / "x.wav", 4)
    model = AutoModel.from_pretrained(w2v, local_files_only=True).eval()
    fe = AutoFeatureExtractor.from_pretrained(w2v, local_files_only=True)
    with torch.no_grad():
        hidden = model(fe(wav, sampling_rate=1000, return_tensors="pt").input_values,
                       output_hidden_states=True).hidden_states
    d = model.config.hidden_size
    assert rows.shape[1] == 3 * d == enc.dim
    for block, k in enumerate([-1, 0, 1]):
        np.testing.assert_allclose(rows[:, block * d:(block + 1) * d], hidden[k][0].numpy(), atol=1e-5)


def test_a_layer_features_store_is_its_layer_cut_from_the_familys_shards(w2v, humor, tmp_path):
    enc = {"kind": "audio", "model": w2v, "pool_ms": 500, "chunk_s": 8, "batch_size": 3, "layer": -1}
    family = dict(enc, layers=[-1, 1])
    paths = []
    for k in range(2):
        paths.append(tmp_path / f"{k}.h5")
        embed.write_shard(paths[-1], embed.extract_shard(dict(humor, encoder=family), family, "w2v-raw", k, 2), {})
    for block, layer, name in ((0, -1, "w2v-raw"), (1, 1, "w2v-raw-L1")):
        merged = embed.merge_shards(dict(humor, encoder=family, block=[block, 2]), paths, {}, feature=name)
        alone = embed.extract_shard(humor, dict(enc, layer=layer), name, 0, 1)
        assert merged.dim_names == [f"{name}_{i}" for i in range(alone.dim)]
        np.testing.assert_array_equal(merged.sample_ids, alone.sample_ids)
        for a, b in zip(merged.sequences, alone.sequences):
            np.testing.assert_allclose(a, b, atol=1e-5)
        np.testing.assert_allclose(merged.train_rows.mean, alone.train_rows.mean, atol=1e-5)


def demo_config(**layers):
    raw = yaml.safe_load(open("config/config.yaml"))
    for feature, ks in layers.items():
        raw["tasks"]["humor"]["features"][feature]["layers"] = ks
    return raw


def test_layers_plan_as_features_merged_from_one_extraction():
    cfg = load(demo_config(**{"w2v-raw": [0, 1]}), ["config/config.yaml"])
    t = cfg.tasks["humor"]
    assert [f for f in t.features if f.startswith("w2v-raw")] == ["w2v-raw", "w2v-raw-L0", "w2v-raw-L1"]
    assert t.features["w2v-raw-L1"].layers is None and t.features["w2v-raw-L1"].lr == t.features["w2v-raw"].lr
    spec = extract_step.spec(cfg, "humor", "w2v-raw-L1")
    assert spec["encoder"]["layers"] == [-1, 0, 1] and spec["block"] == [2, 3]
    assert extract_step.spec(cfg, "humor", "w2v-raw")["block"] == [0, 3]
    assert "block" not in extract_step.spec(cfg, "humor", "bert-raw")
    p = Plan(cfg)
    assert p.merge_shards("humor", "w2v-raw-L0") == p.merge_shards("humor", "w2v-raw") == [
        "results/humor/shards/w2v-raw/0-of-1.h5"]


def test_layers_are_refused_where_they_cannot_be():
    raw = demo_config(**{"faus-raw": [1], "w2v-raw": [2], "bert-raw": [1]})
    raw["tasks"]["humor"]["features"]["bert-raw-L1"] = {"source": "mbert-tiny"}
    raw["encoders"]["w2v-tiny"]["layer"] = 2
    with pytest.raises(ConfigError) as err:
        load(raw, ["config/config.yaml"])
    text = str(err.value)
    assert "faus-raw.layers: only features extracted by an encoder" in text
    assert "w2v-raw.layers: layer 2 is the feature's own" in text
    assert "bert-raw-L1: this name is the feature that bert-raw's `layers` adds" in text
