"""Layers as features: one extraction pass gives every listed layer, each layer's store is that layer's hidden
states, the plan merges a layer feature from its family's shards, and the layer table picks the best layer."""

import zlib

import numpy as np
import pytest
import soundfile as sf
import torch
import yaml

from subspace import demo, embed, media, tiny_models
from subspace.config.load import ConfigError, load
from subspace.plan import Plan
from subspace.steps import extract as extract_step
from subspace.steps import layer_table as layer_step


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
            "label_dir": str(root / "label_segments"),
            "media": {"audio": f"{root}/raw/audio/{{subject}}/{{video}}.wav"}}


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


@pytest.mark.parametrize("pooling", ["cls", "mean"])
def test_text_layers_in_one_pass_equal_each_layer_alone(tmp_path_factory, pooling):
    bert = str(tiny_models.build("bert", tmp_path_factory.mktemp("bert") / "bert", seed=0))
    texts = ["der Trainer sagt", "that was a hard game but the lads fought", "haha"]
    enc = {"kind": "text", "model": bert, "pooling": pooling}
    both = embed.TextEncoder(dict(enc, layers=[-1, 0])).embed_texts(texts, 2)
    alone = [embed.TextEncoder(dict(enc, layer=k)).embed_texts(texts, 2) for k in (-1, 0)]
    np.testing.assert_allclose(both, np.concatenate(alone, 1), atol=1e-5)


def test_a_layer_the_model_does_not_have_names_the_layers_key(w2v, tmp_path):
    from subspace.errors import InputError
    sf.write(tmp_path / "x.wav", 0.2 * np.random.default_rng(0).normal(size=1500), 1000)
    enc = embed.AudioEncoder({"kind": "audio", "model": w2v, "pool_ms": 0, "layers": [-1, 3]})
    with pytest.raises(InputError, match=r"features\.<feature>\.layers: layer 3 does not exist: the model has 2"):
        enc.embed_file(tmp_path / "x.wav", 4)


def test_a_layer_features_store_is_its_layer_cut_from_the_familys_shards(w2v, humor, tmp_path):
    enc = {"kind": "audio", "model": w2v, "pool_ms": 500, "chunk_s": 8, "batch_size": 3, "layer": -1}
    family = dict(enc, layers=[-1, 1])
    paths, layers = [], []
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
        layers.append(alone)
    both = embed.merge_shards(dict(humor, encoder=family, block=[None, 2]), paths, {}, feature="w2v-raw-Lcat")
    assert both.dim_names[:2] == ["w2v-raw-Lcat_L-1_0", "w2v-raw-Lcat_L-1_1"]
    assert both.dim_names[-1] == "w2v-raw-Lcat_L1_31"
    for i, seq in enumerate(both.sequences):  # `concat_layers`: every layer side by side
        np.testing.assert_allclose(seq, np.hstack([a.sequences[i] for a in layers]), atol=1e-5)


def demo_config(**layers):
    raw = yaml.safe_load(open("config/config.yaml"))
    for feature, ks in layers.items():
        raw["tasks"]["humor"]["features"][feature]["layers"] = ks
    return raw


def test_layers_plan_as_features_merged_from_one_extraction():
    cfg = load(demo_config(**{"w2v-raw": [0, 1]}), ["config/config.yaml"])  # the demo's has [1]
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
    assert "results/humor/tables/layers_w2v-raw.md" in p.outputs()
    raw = demo_config(**{"w2v-raw": [1]})
    raw["tasks"]["humor"]["features"]["w2v-raw"]["concat_layers"] = True
    cfg = load(raw, ["config/config.yaml"])
    family = [f for f in cfg.tasks["humor"].features if f.startswith("w2v-raw")]
    assert family == ["w2v-raw", "w2v-raw-L1", "w2v-raw-Lcat"]
    assert extract_step.spec(cfg, "humor", "w2v-raw-Lcat")["block"] == [None, 2]
    assert not cfg.tasks["humor"].features["w2v-raw-Lcat"].concat_layers
    members = layer_step.spec(cfg, "humor", "w2v-raw")["members"]
    assert [(m["feature"], m["layer"], m.get("blocks")) for m in members] == [
        ("w2v-raw", -1, None), ("w2v-raw-L1", 1, None), ("w2v-raw-Lcat", "concat", [-1, 1])]
    assert "results/humor/figures/layers_w2v-raw.png" in p.outputs()


def test_layers_are_refused_where_they_cannot_be():
    raw = demo_config(**{"faus-raw": [1], "w2v-raw": [2], "bert-raw": [1]})
    raw["tasks"]["humor"]["features"]["bert-raw-L1"] = {"source": "mbert-tiny"}
    raw["encoders"]["w2v-tiny"]["layer"] = 2
    raw["tasks"]["humor"]["features"]["vit-raw"]["concat_layers"] = True
    with pytest.raises(ConfigError) as err:
        load(raw, ["config/config.yaml"])
    text = str(err.value)
    assert "faus-raw.layers: only features extracted by an encoder" in text
    assert "w2v-raw.layers: layer 2 is the feature's own" in text
    assert "vit-raw.concat_layers: needs `layers`" in text
    assert "bert-raw-L1: this name is the feature that bert-raw's `layers` adds" in text


def _decoder_files(root, feature, variant, quality, devel, seeds=(1, 2), n_groups=12):
    """Fake seeds of one decoder: predictions whose agreement with the labels is ``quality`` (0 = chance)."""
    import json

    import pandas as pd
    rng = np.random.default_rng(zlib.crc32(f"{feature}/{variant}".encode()))
    metrics, predictions = [], []
    for s in seeds:
        folder = root / feature / variant / f"seed{s}"
        folder.mkdir(parents=True)
        n = n_groups * 10
        y = rng.integers(0, 2, n)
        pred = np.clip(0.5 + quality * (y - 0.5) + 0.3 * rng.normal(size=n), 0, 1)
        pd.DataFrame({"sample_id": [f"c/v{i // 10}/{i % 10}/0" for i in range(n)], "partition": "test",
                      "group": [f"c/v{i // 10}" for i in range(n)], "subject": "c", "label_humor": y,
                      "pred_humor": pred}).to_csv(folder / "predictions.csv", index=False)
        (folder / "metrics.json").write_text(json.dumps({"scores": {"devel": devel + 0.01 * s, "test": 0.0},
                                                         "n_dims": 32 if variant == "full" else 8}))
        metrics.append(str(folder / "metrics.json"))
        predictions.append(str(folder / "predictions.csv"))
    selection = None
    if variant != "full":
        selection = root / feature / f"{variant}.json"
        selection.write_text(json.dumps({"n_total": 32, "n_kept": 8, "kept": [0, 1, 2, 16, 17, 20, 30, 31]}))
    return {"metrics": metrics, "predictions": predictions, "selection": selection and str(selection)}


def test_layer_table_picks_the_best_layer_on_devel_with_intervals(tmp_path):
    from subspace import layertables
    quality = {"w2v-raw": (0.0, 0.55), "w2v-raw-L0": (0.3, 0.6), "w2v-raw-L1": (0.8, 0.9)}  # (test, devel)
    members = []
    for feature, layer in (("w2v-raw", -1), ("w2v-raw-L0", 0), ("w2v-raw-L1", 1)):
        q, devel = quality[feature]
        label, position = layertables.layer_label(layer, 2)
        members.append({"feature": feature, "layer": label, "position": position, "variants": {
            v: _decoder_files(tmp_path, feature, v, q, devel - (v == "mean") * 0.05) for v in ("full", "mean")}})
    members.append({"feature": "w2v-raw-Lcat", "layer": "all (concat)", "position": 4.5, "blocks": ["2 (last)", "0"],
                    "variants": {v: _decoder_files(tmp_path, "w2v-raw-Lcat", v, 0.2, 0.5) for v in ("full", "mean")}})
    df = layertables.layer_table(members, "auc", n_resamples=200)
    assert list(df.layer.unique()) == ["2 (last)", "0", "1", "all (concat)"]
    assert df.kept_per_layer.tolist()[-2:] == ["", "2 (last): 3, 0: 5"]  # 32 dims = 2 layers of 16
    best = df[df.best]
    assert sorted(best.variant) == ["full", "mean"] and set(best.feature) == {"w2v-raw-L1"}
    good = best[best.variant == "full"].iloc[0]
    assert good.test_low < good.test < good.test_high and good.test_low > 0.6  # a clearly good layer
    assert good.minus_own_low > 0 and np.isnan(df[df.feature == "w2v-raw"].minus_own).all()
    own = df[(df.feature == "w2v-raw") & (df.variant == "full")].iloc[0]
    assert own.test_low < 0.5 < own.test_high  # chance: its interval holds 0.5
    assert df[df.variant == "mean"].kept_dims.tolist() == [8, 8, 8, 8] and (df.total_dims == 32).all()
    md = layertables.layer_markdown(df, "humor / w2v-raw: layers as features", "auc")
    assert "| 1 | w2v-raw-L1 | 0.9" in md and "▲" in md.split("w2v-raw-L1 |")[1].split("\n")[0]
    assert "- full: layer 1 (w2v-raw-L1): +" in md and "over the 12 test groups" in md
    assert "concatenation kept, per layer: mean: 2 (last): 3, 0: 5." in md
    layertables.layer_figure(df, "t", "auc", [tmp_path / "f.png"])
    assert (tmp_path / "f.png").stat().st_size > 0


def test_the_layer_table_is_labelled_in_the_reports_evaluation_section():
    from subspace import reportsections
    assert reportsections.table_label("tables", "layers_w2v-raw") == {"result": "layers of w2v-raw (table)"}
    assert reportsections.table_section("tables", "layers_w2v-raw") == reportsections.EVALUATION
