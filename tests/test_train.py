import json
import logging

import numpy as np
import pandas as pd
import pytest
import torch

from subspace import demo, data
from subspace.decoder import Decoder, DecoderConfig, count_parameters, pad_batch
from subspace.train import TrainConfig, collapsed_targets, load_checkpoint, run

SPEC = {"coaches": {"train": 3, "devel": 1, "test": 1}, "videos_per_coach": 2, "segments_per_video": 30,
        "positive_rate": 0.5, "features": {"w2v": {"dim": 12, "planted": 4, "signal": 0.6}}}
DEC = {"model_dim": 8, "rnn_layers": 1, "d_fc_out": 8}


def humor(tmp_path):
    demo.make_humor(tmp_path / "demo", SPEC, seed=1)
    root = tmp_path / "demo"
    return data.read_humor(root / "metadata/partition.csv", root / "label_segments", root / "feature_segments", "w2v")


def test_decoder_uses_the_last_valid_step_and_ignores_padding():
    torch.manual_seed(0)
    model = Decoder(DecoderConfig(d_in=3, n_targets=2, model_dim=4, rnn_layers=2, bidirectional=True)).eval()
    seq = np.random.default_rng(0).standard_normal((3, 3)).astype(np.float32)
    long = np.random.default_rng(1).standard_normal((7, 3)).astype(np.float32)
    alone, _ = pad_batch([seq])
    with torch.no_grad():
        a = model(alone, torch.tensor([3]))
        x, lengths = pad_batch([long, seq])
        b = model(x, lengths)
    torch.testing.assert_close(a[0], b[1])


def test_reduced_decoder_shrinks_only_the_input_projection():
    full = Decoder(DecoderConfig(d_in=100, model_dim=16))
    reduced = Decoder(DecoderConfig(d_in=30, model_dim=16))
    assert count_parameters(full) - count_parameters(reduced) == 70 * 16


def test_training_is_deterministic_and_learns_the_planted_signal(tmp_path):
    emb = humor(tmp_path)
    cfg = TrainConfig(task_type="binary", lr=0.01, batch_size=16, max_epochs=6, seed=5)
    a = run(emb, DEC, cfg, tmp_path / "a", targets=["humor"])
    b = run(emb, DEC, cfg, tmp_path / "b", targets=["humor"])
    assert a["scores"] == b["scores"]
    assert (tmp_path / "a/predictions.csv").read_bytes() == (tmp_path / "b/predictions.csv").read_bytes()
    sa, sb = load_checkpoint(tmp_path / "a/model.pt")["state_dict"], load_checkpoint(tmp_path / "b/model.pt")["state_dict"]
    assert all(torch.equal(sa[k], sb[k]) for k in sa)
    assert a["scores"]["devel"] > 0.8
    assert a["history"][0]["epoch"] == 1 and len(a["history"]) == a["epochs"]


def test_reduced_training_keeps_the_dims_in_its_checkpoint(tmp_path):
    emb = humor(tmp_path)
    cfg = TrainConfig(task_type="binary", lr=0.01, batch_size=16, max_epochs=2, seed=5, normalise=True)
    rec = run(emb, DEC, cfg, tmp_path / "r", dims=[0, 3, 5], targets=["humor"])
    ckpt = load_checkpoint(tmp_path / "r/model.pt")
    assert ckpt["dims"] == [0, 3, 5] and ckpt["model"].cfg.d_in == 3 and rec["n_dims"] == 3
    assert ckpt["mean"].shape == (3,)


def test_batches_are_padded_to_their_own_longest_sequence_not_the_partitions(tmp_path, monkeypatch):
    """Memory follows the batch: one very long training sequence pads only the batches it is in."""
    from subspace import train as train_module
    emb = humor(tmp_path)
    emb.sequences[0] = np.repeat(emb.sequences[0], 50, axis=0)  # one train sample 50x longer than the rest
    widths, real = [], train_module.PaddedBatches.batch

    def recording(batches, idx):
        x, lengths = real(batches, idx)
        widths.append((x.shape[1], int(batches.lengths[idx].max())))
        return x, lengths

    monkeypatch.setattr(train_module.PaddedBatches, "batch", recording)
    cfg = TrainConfig(task_type="binary", lr=0.01, batch_size=16, max_epochs=2, seed=5)
    run(emb, DEC, cfg, tmp_path / "m", targets=["humor"])
    assert all(w == longest for w, longest in widths)
    long = max(w for w, _ in widths)
    assert sum(w == long for w, _ in widths) <= 2 + 3, "only the long sample's batches are that wide"


def test_collapsed_targets_are_those_whose_predictions_barely_vary():
    labels = np.array([[0.0, 0.1], [1.0, 0.9], [1.0, 0.5], [0.0, 0.3]])
    preds = np.array([[0.2, 0.10], [0.8, 0.30], [0.7, 0.20], [0.3, 0.40]])
    assert collapsed_targets(labels, preds, ["a", "b"]) == []
    preds[:, 1] = 0.37 + np.array([1, -1, 2, 0]) * 1e-6
    assert collapsed_targets(labels, preds, ["a", "b"]) == ["b"]
    assert collapsed_targets(np.ones((4, 2)), np.ones((4, 2)), ["a", "b"]) == []  # constant labels: not this check


def test_a_decoder_that_learned_nothing_is_flagged_in_its_log_and_metrics(tmp_path, caplog):
    emb = humor(tmp_path)
    cfg = TrainConfig(task_type="binary", lr=0.01, batch_size=16, max_epochs=6, seed=5)
    learned = run(emb, DEC, cfg, tmp_path / "learned", targets=["humor"])
    assert learned["collapsed_targets"] == []
    blank = emb.replace_sequences([np.zeros_like(s) for s in emb.sequences])  # nothing to learn from
    with caplog.at_level(logging.WARNING, logger="subspace.train"):
        rec = run(blank, DEC, cfg, tmp_path / "blank", targets=["humor"])
    assert rec["collapsed_targets"] == ["humor"]
    assert "seed 5: the decoder's devel predictions are nearly constant for humor" in caplog.text


WEAK = {**SPEC, "features": {"w2v": {"dim": 12, "planted": 4, "signal": 0.15}}}  # devel AUC ~.7: epochs differ


def hand_predictions(ckpt, emb, partition):
    """The checkpoint's outputs, one unpadded sequence at a time, on inputs scaled with its mean/std by hand
    (an empty window stays a zero vector)."""
    part = emb.subset(partition)
    model = ckpt["model"].eval()
    out = []
    with torch.no_grad():
        for seq, empty in zip(part.sequences, part.empty):
            x = np.zeros_like(seq) if empty else (seq - ckpt["mean"]) / ckpt["std"]
            out.append(model(torch.as_tensor(x, dtype=torch.float32)[None], torch.tensor([len(seq)]))[0].numpy())
    return part.labels, np.array(out)


def test_the_saved_model_and_its_scores_are_the_best_devel_epochs_not_the_last(tmp_path):
    """Early stopping restores the best devel epoch; model.pt, metrics.json and predictions.csv are that
    model's (the test score recomputed here from model.pt, by hand and with scikit-learn)."""
    from sklearn.metrics import roc_auc_score
    demo.make_humor(tmp_path / "demo", WEAK, seed=1)
    root = tmp_path / "demo"
    emb = data.read_humor(root / "metadata/partition.csv", root / "label_segments", root / "feature_segments", "w2v")
    cfg = TrainConfig(task_type="binary", lr=0.03, batch_size=16, max_epochs=30, early_stopping_patience=3, seed=5,
                      normalise=True)
    rec = run(emb, DEC, cfg, tmp_path / "m", targets=["humor"])
    devel_scores = [h["devel_score"] for h in rec["history"]]
    best = rec["best_epoch"]
    assert devel_scores[best - 1] == max(devel_scores)
    # the set-up this test needs: training stopped early, so the last epoch is not the best one
    assert best < rec["epochs"] == len(devel_scores) and devel_scores[-1] < devel_scores[best - 1] - 0.01

    ckpt = load_checkpoint(tmp_path / "m/model.pt")
    labels, preds = hand_predictions(ckpt, emb, "devel")
    assert roc_auc_score(labels[:, 0], preds[:, 0]) == pytest.approx(devel_scores[best - 1], abs=1e-6)
    assert rec["scores"]["devel"] == pytest.approx(devel_scores[best - 1], abs=1e-6)
    labels, preds = hand_predictions(ckpt, emb, "test")
    saved = json.loads((tmp_path / "m/metrics.json").read_text())
    assert saved["scores"]["test"] == pytest.approx(roc_auc_score(labels[:, 0], preds[:, 0]), abs=1e-6)
    table = pd.read_csv(tmp_path / "m/predictions.csv")
    np.testing.assert_allclose(table[table.partition == "test"].pred_humor, preds[:, 0], rtol=1e-5, atol=1e-6)
