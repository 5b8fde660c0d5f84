"""Raw media of a sample table's rows through the encoders (tiny offline models): audio segments cut by
start/end, video frames inside the segment, text rows; shards merge into the table's order."""
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from subspace import demo_table, embed, media, store, table_extract, tiny_models
from subspace.encoders import AudioEncoder, TextEncoder, VideoEncoder

DEMO = {"speakers": {"train": 3, "devel": 2, "test": 1}, "utterances_per_speaker": 6, "classes": ["a", "b", "c"],
        "features": {}, "audio": {"sampling_rate": 1000, "utterances_per_file": 3, "seconds": 1.0, "signal": 0.5},
        "text": True}


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    root = tmp_path_factory.mktemp("models")
    size = {"wav2vec2": {"sampling_rate": 1000}}
    return {k: str(tiny_models.build(k, root / k, seed=0, **size.get(k, {}))) for k in ("wav2vec2", "bert", "vit")}


@pytest.fixture(scope="module")
def emotion(tmp_path_factory):
    root = tmp_path_factory.mktemp("emotion")
    demo_table.make_table(root, DEMO, seed=1)
    return {"layout": "table", "type": "regression", "targets": ["arousal", "valence"],
            "table": str(root / "samples.csv"), "table_columns": {"group": "speaker"}, "splits": {"devel": "dev"}}


def audio_encoder(models, **extra):
    return dict({"kind": "audio", "model": models["wav2vec2"], "pool_ms": 250, "chunk_s": 1, "batch_size": 4,
                 "name": "w2v"}, **extra)


def test_audio_rows_are_their_segments_embedded_alone_and_pooled_from_their_start(models, emotion):
    enc_spec = audio_encoder(models)
    emb = embed.extract_shard(dict(emotion, encoder=enc_spec), enc_spec, "w2v", 0, 1)
    rows = pd.read_csv(emotion["table"])
    assert emb.sample_ids.tolist() == rows.id.tolist() and emb.groups.tolist() == rows.speaker.tolist()
    enc = AudioEncoder(enc_spec)
    for i in (0, 4, 10):  # utterances at different places of their WAVs
        wav = media.read_wav(Path(emotion["table"]).parent / rows.file[i], 1000)
        start = int(round(rows.start[i] * 1000))
        cut = wav[start:int(round(rows.end[i] * 1000))]
        times, frames = enc.frames(cut, 4)
        t, x = media.pool_windows(times, frames, 250)
        np.testing.assert_allclose(emb.sequences[i], x, rtol=1e-5, atol=1e-6)
        assert emb.timestamps[i].tolist() == (t + start).tolist()
    np.testing.assert_array_equal(emb.labels, rows[["arousal", "valence"]].to_numpy(np.float32))


def test_shards_take_whole_files_and_merge_into_the_tables_order(models, emotion, tmp_path):
    enc_spec = audio_encoder(models)
    task = dict(emotion, encoder=enc_spec)
    whole = embed.extract_shard(task, enc_spec, "w2v", 0, 1)
    paths = []
    for k in range(3):
        part = embed.extract_shard(task, enc_spec, "w2v", k, 3)
        files = pd.read_csv(emotion["table"]).set_index("id").loc[part.sample_ids, "file"]
        assert files.nunique() == 4 and (files.value_counts() == 3).all()  # 12 files of 3 rows: whole files
        embed.write_shard(tmp_path / f"{k}.h5", part, {"task": "emotion"})
        paths.append(tmp_path / f"{k}.h5")
    merged = embed.merge_shards(task, paths, {"task": "emotion"})
    assert merged.sample_ids.tolist() == whole.sample_ids.tolist()
    for a, b in zip(merged.sequences, whole.sequences):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(merged.train_rows.mean, whole.train_rows.mean, rtol=1e-5)


def test_a_segment_beyond_its_file_becomes_one_zero_vector_named_in_the_log(models, emotion, tmp_path, caplog):
    rows = pd.read_csv(emotion["table"])
    rows.loc[2, ["start", "end"]] = [60.0, 61.0]
    rows.to_csv(tmp_path / "samples.csv", index=False)
    (tmp_path / "audio").symlink_to(f"{emotion['table'].rsplit('/', 1)[0]}/audio")
    enc_spec = audio_encoder(models)
    task = dict(emotion, table=str(tmp_path / "samples.csv"), encoder=enc_spec)
    emb = embed.extract_shard(task, enc_spec, "w2v", 0, 1)
    assert emb.empty.tolist().count(True) == 1 and emb.empty[2] and not emb.sequences[2].any()
    assert f"{rows.id[2]}: empty, became one zero vector: the segment [60, 61) s lies beyond the end of" in caplog.text


def test_text_rows_are_one_embedding_of_their_text(models, emotion):
    enc_spec = {"kind": "text", "model": models["bert"], "pooling": "mean", "batch_size": 5, "name": "bert"}
    emb = embed.extract_shard(dict(emotion, encoder=enc_spec), enc_spec, "bert", 1, 2)
    rows = pd.read_csv(emotion["table"]).iloc[1::2]
    assert emb.sample_ids.tolist() == rows.id.tolist()
    expected = TextEncoder(enc_spec).embed_texts(rows.text.tolist(), 3)
    np.testing.assert_allclose(np.concatenate(emb.sequences), expected, rtol=1e-5, atol=1e-5)
    assert all(len(s) == 1 for s in emb.sequences)


def test_video_rows_are_the_frames_inside_their_segment(models, tmp_path):
    from subspace import demo
    demo.write_raw_humor(tmp_path, "c", "v", np.array([0, 1, 0, 1]),
                         {"sampling_rate": 1000, "video_fps": 4, "image_size": 32, "signal": 0.5},
                         np.random.default_rng(0))
    video = tmp_path / "raw/video/c/v.mp4"
    pd.DataFrame({"id": list("abcde"), "file": [str(video)] * 5, "start": [0.0, 2.25, 9.0, 4.5, 6.0],
                  "end": [1.5, 4.25, 10.0, 6.0, 8.0], "group": ["g1", "g2", "g3", "g1", "g2"],
                  "split": ["train", "devel", "test", "train", "devel"], "y": [0.1, 0.2, 0.3, 0.4, 0.5]}
                 ).to_csv(tmp_path / "t.csv", index=False)
    task = {"layout": "table", "type": "regression", "targets": ["y"], "table": str(tmp_path / "t.csv")}
    enc_spec = {"kind": "video", "model": models["vit"], "fps": 4, "pool_ms": 500, "batch_size": 8, "name": "vit"}
    emb = table_extract.extract_table_shard(task, enc_spec, "vit", 0, 1)
    times, frames = VideoEncoder(dict(enc_spec, pool_ms=0)).embed_video(video, None, 8)
    inside = (times >= 2250) & (times < 4250)
    t, x = media.pool_windows(times[inside], frames[inside], 500, offset_ms=2250)
    np.testing.assert_allclose(emb.sequences[1], x, rtol=1e-5, atol=1e-5)
    assert emb.timestamps[1].tolist() == t.tolist() == [2250, 2750, 3250, 3750]  # windows from the row's start
    assert emb.timestamps[0].tolist() == [0, 500, 1000] and emb.empty.tolist() == [0, 0, 1, 0, 0]  # (8 s long)


def test_a_store_of_a_table_feature_reads_back(models, emotion, tmp_path):
    enc_spec = audio_encoder(models)
    emb = embed.extract_shard(dict(emotion, encoder=enc_spec), enc_spec, "w2v", 0, 1)
    store.write_embeddings(tmp_path / "w.h5", emb)
    again = store.read_embeddings(tmp_path / "w.h5")
    assert again.groups.tolist() == emb.groups.tolist() and again.subjects.tolist() == emb.groups.tolist()
