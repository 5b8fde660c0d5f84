"""Paper-exact by default: the MuSe 2023 baseline's decoder, training loop, defaults and normalisation.

``baseline_fit`` below re-implements the organisers' loop (github EIHW/MuSe-2023: model.py, main.py,
train.py, eval.py, dataset.py at commit bb5f7f2; docs/sources.md) from its code, so these tests fail
if the workflow's training drifts from it: partition padded once, torch DataLoaders (shuffled train
batches, devel batches of twice the size), sigmoid inside the model, BCE / MSE on it, the devel score
each epoch, early stopping on it, ReduceLROnPlateau(min, 0.5, min_lr 1e-5) stepped on 1 - score.
"""
import copy
from glob import glob

import numpy as np
import pandas as pd
import pytest
import torch
import yaml
from scipy import stats
from sklearn.metrics import auc, roc_curve
from sklearn.preprocessing import StandardScaler
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence
from torch.utils.data import DataLoader, TensorDataset

from conftest import ROOT
from subspace import data, demo
from subspace.decoder import DecoderConfig
from subspace.train import TrainConfig, fit_scaler, normalised, set_determinism, train_decoder

# the baseline's main.py argument defaults (EIHW/MuSe-2023 @ bb5f7f2, main.py L38-61; docs/sources.md)
BASELINE_DECODER = {"model_dim": 64, "rnn_layers": 1, "bidirectional": False, "rnn_dropout": 0.2, "d_fc_out": 64,
                    "fc_dropout": 0.5, "activation": "sigmoid"}
BASELINE_TRAINING = {"lr": 0.0001, "batch_size": 256, "max_epochs": 100, "early_stopping_patience": 15,
                     "reduce_lr_patience": 5, "lr_factor": 0.5, "min_lr": 1e-5, "normalise": False}


class BaselineModel(nn.Module):
    """model.py's Model with an RNN encoder, n_to_1: the last valid item of the packed GRU output."""

    def __init__(self, d_in, n_targets, model_dim, rnn_layers, bidirectional, rnn_dropout, d_fc_out, fc_dropout):
        super().__init__()
        self.inp = nn.Linear(d_in, model_dim, bias=False)
        self.rnn = nn.GRU(model_dim, model_dim, num_layers=rnn_layers, bidirectional=bidirectional,
                          dropout=rnn_dropout if rnn_layers > 1 else 0.0)
        d_rnn_out = model_dim * (2 if bidirectional else 1)
        self.fc_1 = nn.Sequential(nn.Linear(d_rnn_out, d_fc_out), nn.ReLU(True), nn.Dropout(fc_dropout))
        self.fc_2 = nn.Linear(d_fc_out, n_targets)
        nn.init.constant_(self.fc_2.bias.data, 0.0)

    def forward(self, x, x_len):
        packed = self.rnn(pack_padded_sequence(self.inp(x), x_len.cpu(), batch_first=True, enforce_sorted=False))[0]
        sums = torch.cat((torch.zeros(2, dtype=torch.int64), torch.cumsum(packed.batch_sizes, 0)))
        last = sums[x_len[packed.sorted_indices]] + torch.arange(x_len.size(0))
        return torch.sigmoid(self.fc_2(self.fc_1(packed.data[last][packed.unsorted_indices])))


def padded_dataset(sequences, labels):
    """dataset.py: every sequence of a partition padded to the partition's longest."""
    longest = max(len(s) for s in sequences)
    x = torch.tensor(np.stack([np.pad(s, ((0, longest - len(s)), (0, 0))) for s in sequences]), dtype=torch.float)
    return TensorDataset(x, torch.tensor([len(s) for s in sequences]), torch.tensor(labels, dtype=torch.float))


def baseline_score(task_type, preds, labels):
    if task_type == "binary":
        fpr, tpr, _ = roc_curve(labels.ravel(), preds.ravel())
        return auc(fpr, tpr)
    return float(np.mean([stats.pearsonr(preds[:, k], labels[:, k])[0] for k in range(labels.shape[1])]))


def baseline_fit(train, devel, task_type, dec, cfg, seed):
    torch.manual_seed(seed)
    train_loader = DataLoader(padded_dataset(*train), batch_size=cfg.batch_size, shuffle=True)
    devel_loader = DataLoader(padded_dataset(*devel), batch_size=2 * cfg.batch_size, shuffle=False)
    model = BaselineModel(train[0][0].shape[1], train[1].shape[1], dec["model_dim"], dec["rnn_layers"],
                          dec["bidirectional"], dec["rnn_dropout"], dec["d_fc_out"], dec["fc_dropout"])
    initial = copy.deepcopy(model.state_dict())
    loss_fn = nn.BCELoss() if task_type == "binary" else nn.MSELoss()
    optimiser = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimiser, mode="min", patience=cfg.reduce_lr_patience,
                                                           factor=0.5, min_lr=1e-5)
    best, early_stop, scores, lrs = -1, 0, [], []
    for _ in range(cfg.max_epochs):
        lrs.append(optimiser.param_groups[0]["lr"])
        model.train()
        for features, lengths, labels in train_loader:
            optimiser.zero_grad()
            loss = loss_fn(model(features, lengths).squeeze(-1), labels.squeeze(-1))
            loss.backward()
            optimiser.step()
        model.eval()
        with torch.no_grad():
            preds = torch.cat([model(f, n) for f, n, _ in devel_loader]).numpy()
        scores.append(baseline_score(task_type, preds, devel[1]))
        if scores[-1] > best:
            best, early_stop = scores[-1], 0
        else:
            early_stop += 1
            if early_stop >= cfg.early_stopping_patience:
                break
        scheduler.step(1 - np.mean(scores[-1]))
    return initial, scores, lrs


# --- the organisers' data_parser.py (EIHW/MuSe-2023 @ bb5f7f2, docs/sources.md), re-implemented on pandas and
# scikit-learn as it reads the files, so the project's readers are checked against it rather than used twice


def parser_partitions(partition_file) -> dict[str, list[str]]:
    """get_data_partition: the first column is the subject, the last the partition; subjects in file order."""
    subjects = {}
    for row in pd.read_csv(partition_file).values:
        subjects.setdefault(row[-1], [])
        if str(row[0]) not in subjects[row[-1]]:
            subjects[row[-1]].append(str(row[0]))
    return subjects


def parser_scaler(training_csvs) -> StandardScaler:
    """fit_normalizer: one StandardScaler on every row of the training feature CSVs (features from column 2)."""
    return StandardScaler().fit(pd.concat([pd.read_csv(p) for p in training_csvs]).iloc[:, 2:].values)


def parser_humor(root, feature, normalize) -> dict[str, tuple[list, np.ndarray]]:
    """load_data + load_humor_subject: per partition, the features and labels of every label row of every coach.
    A coach's label and feature CSVs are concatenated (sorted by name); a label row's sequence is the feature
    rows with its segment_id and start <= timestamp < end, scaled, then an empty one becomes one zero vector;
    the label is the last column."""
    subjects = parser_partitions(root / "metadata/partition.csv")
    feature_dir = root / "feature_segments" / feature
    scaler = parser_scaler([p for s in subjects["train"] for p in sorted(glob(str(feature_dir / s / "*.csv")))]) \
        if normalize else None
    out = {}
    for partition, coaches in subjects.items():
        features, labels = [], []
        for coach in coaches:
            label_df = pd.concat([pd.read_csv(f) for f in sorted(glob(str(root / "label_segments" / coach / "*.csv")))])
            feature_df = pd.concat([pd.read_csv(f) for f in sorted(glob(str(feature_dir / coach / "*.csv")))])
            values = feature_df.iloc[:, 2:].values
            if scaler is not None:
                values = scaler.transform(values)
            for _, y in label_df.iterrows():
                window = ((feature_df.segment_id == y["segment_id"]) & (feature_df.timestamp >= y["timestamp_start"])
                          & (feature_df.timestamp < y["timestamp_end"]))
                rows = values[window.to_numpy()]
                features.append(rows if len(rows) else np.zeros((1, values.shape[1])))
            labels.append(label_df.iloc[:, -1].values[:, None])
        out[partition] = (features, np.concatenate(labels).astype(np.float32))
    return out


def parser_mimic(root, feature, normalize) -> dict[str, tuple[list, np.ndarray]]:
    """load_data + load_mimic_subject: per partition, one sample per video id of the partition file (ids keep
    their literal quotes there and in labels.csv's filename; the feature file's name is the id without them);
    the labels are every column after filename, the features every column from index 2."""
    subjects = parser_partitions(root / "partition.csv")
    label_df = pd.read_csv(root / "labels.csv")
    feature_dir = root / "features" / feature
    scaler = parser_scaler([feature_dir / f"{s[1:-1]}.csv" for s in subjects["train"]]) if normalize else None
    out = {}
    for partition, videos in subjects.items():
        features, labels = [], []
        for video in videos:
            label = label_df[label_df.filename == video].iloc[:, 1:].values
            assert label.shape == (1, 3), f"malformed label file for {video}"
            values = pd.read_csv(feature_dir / f"{video.replace(chr(34), '')}.csv").iloc[:, 2:].values
            features.append(values if scaler is None else scaler.transform(values))
            labels.append(label)
        out[partition] = (features, np.concatenate(labels).astype(np.float32))
    return out


MIMIC_TARGETS = ["Approval_", "Disappointment_", "Uncertainty_"]


def humor_files(tmp_path, segments_per_video=60):
    spec = {"coaches": {"train": 3, "devel": 2, "test": 1}, "videos_per_coach": 2,
            "segments_per_video": segments_per_video, "positive_rate": 0.4,
            "features": {"w2v": {"dim": 10, "planted": 3, "signal": 0.3}}}
    demo.make_humor(tmp_path / "humor", spec, seed=4)
    return tmp_path / "humor"


def mimic_files(tmp_path, videos=(160, 60, 10)):
    spec = {"videos": dict(zip(("train", "devel", "test"), videos)),
            "features": {"w2v": {"dim": 8, "planted": 3, "signal": 0.3}}}
    demo.make_mimic(tmp_path / "mimic", spec, MIMIC_TARGETS, seed=4)
    return tmp_path / "mimic"


def read_humor(root):
    return data.read_humor(root / "metadata/partition.csv", root / "label_segments", root / "feature_segments", "w2v")


def read_mimic(root):
    return data.read_mimic(root / "partition.csv", root / "labels.csv", root / "features", "w2v", MIMIC_TARGETS)


def humor_store(tmp_path):
    return read_humor(humor_files(tmp_path))


def mimic_store(tmp_path):
    return read_mimic(mimic_files(tmp_path))


@pytest.mark.parametrize("normalize", [False, True])
@pytest.mark.parametrize("files,read,parse", [(humor_files, read_humor, parser_humor),
                                              (mimic_files, read_mimic, parser_mimic)], ids=["humor", "mimic"])
def test_readers_give_the_baseline_parsers_samples_in_its_order(tmp_path, files, read, parse, normalize):
    root = files(tmp_path)
    if parse is parser_humor:  # a label window without feature rows: one zero vector, after scaling
        label_file = root / "label_segments/devel_coach00/devel_coach00_v00.csv"
        windows = pd.read_csv(label_file)
        windows.loc[3, ["timestamp_start", "timestamp_end"]] = [10**7, 10**7 + 2000]
        windows.to_csv(label_file, index=False)
    emb, parsed = read(root), parse(root, "w2v", normalize)
    mean, std = fit_scaler(emb.subset("train")) if normalize else (None, None)
    assert list(parsed) == ["train", "devel", "test"]
    for partition, (features, labels) in parsed.items():
        ours = normalised(emb.subset(partition), mean, std)
        assert len(ours.sequences) == len(features) > 0, partition
        for i, (seq, expected) in enumerate(zip(ours.sequences, features)):
            np.testing.assert_allclose(seq, expected, rtol=1e-5, atol=1e-5, err_msg=f"{partition} sample {i}")
        np.testing.assert_array_equal(ours.labels, labels)
    assert emb.empty.sum() == (parse is parser_humor)


@pytest.mark.parametrize("task_type,files,read,parse,dec,lr", [
    ("binary", humor_files, read_humor, parser_humor,
     {"model_dim": 8, "rnn_layers": 2, "bidirectional": False, "rnn_dropout": 0.2}, 0.005),
    ("regression", mimic_files, read_mimic, parser_mimic,
     {"model_dim": 8, "rnn_layers": 2, "bidirectional": True, "rnn_dropout": 0.5}, 0.03),
])
def test_training_gives_the_baselines_scores_at_every_epoch(tmp_path, task_type, files, read, parse, dec, lr):
    """The project's reader and training against the baseline's parser and loop, on the same files."""
    root = files(tmp_path)
    emb, parsed = read(root), parse(root, "w2v", normalize=False)
    dec = dict(dec, d_fc_out=8, fc_dropout=0.5)
    cfg = TrainConfig(task_type=task_type, lr=lr, batch_size=32, max_epochs=15, early_stopping_patience=4,
                      reduce_lr_patience=1, seed=103)
    set_determinism(cfg.seed)
    ours = train_decoder(emb, DecoderConfig(d_in=emb.dim, n_targets=emb.labels.shape[1], **dec), cfg)
    initial, scores, lrs = baseline_fit(parsed["train"], parsed["devel"], task_type, dec, cfg, seed=103)
    assert len(ours["history"]) == len(scores) >= 5
    np.testing.assert_allclose([h["devel_score"] for h in ours["history"]], scores, rtol=0, atol=1e-6)
    assert [h["lr"] for h in ours["history"]] == lrs
    assert len(set(lrs)) > 1, "the LR schedule was exercised"
    set_determinism(cfg.seed)
    from subspace.decoder import Decoder
    fresh = Decoder(DecoderConfig(d_in=emb.dim, n_targets=emb.labels.shape[1], **dec)).state_dict()
    assert [v.tolist() for v in fresh.values()] == [v.tolist() for v in initial.values()]


def test_outputs_are_activated_for_both_tasks(tmp_path):
    emb = mimic_store(tmp_path)
    cfg = TrainConfig(task_type="regression", lr=0.01, batch_size=32, max_epochs=3, seed=1)
    set_determinism(1)
    model = train_decoder(emb, DecoderConfig(d_in=emb.dim, n_targets=3, model_dim=8, d_fc_out=8), cfg)["model"]
    from subspace.train import predict
    preds = predict(model, emb.sequences)
    assert preds.shape == (len(emb.sequences), 3) and preds.min() >= 0 and preds.max() <= 1


def test_defaults_are_the_baselines():
    # the config model holds every default once; the library's dataclasses and the generated schema take them
    from subspace.config.model import Attribution, Feature, Training, default
    schema = yaml.safe_load((ROOT / "workflow/schemas/config.schema.yaml").read_text())
    for key, value in (BASELINE_DECODER | BASELINE_TRAINING).items():
        # training.batch_size (a feature may override it: `features.<name>.batch_size`, unset by default)
        model = Feature if key in Feature.model_fields and key != "batch_size" else Training
        configured = "auto" if key == "activation" else value  # `auto` is resolved against the targets, below
        assert default(model, key) == configured, key
        assert schema["$defs"][model.__name__]["properties"][key]["default"] == configured, key
    # `auto` is the baseline's sigmoid for the baseline's targets: Humor's 0/1, Mimic's values in [0, 1]
    from subspace.targets import resolve_activation
    for kind, labels in (("binary", np.array([[0.0], [1.0]])), ("regression", np.array([[0.0, 0.2], [1.0, 0.7]]))):
        assert resolve_activation(default(Training, "activation"), kind, labels) == "sigmoid", kind
    for key, value in BASELINE_DECODER.items():
        assert getattr(DecoderConfig(d_in=1), key) == value
    for key, value in BASELINE_TRAINING.items():
        assert getattr(TrainConfig(task_type="binary"), key) == value
    assert default(Attribution, "output") == "activated" and default(Attribution, "n_steps") == 50


def test_scaler_is_fitted_on_every_training_row_and_empty_windows_stay_zero(tmp_path):
    root = tmp_path / "h"
    spec = {"coaches": {"train": 2, "devel": 1, "test": 0}, "videos_per_coach": 2, "segments_per_video": 20,
            "positive_rate": 0.5, "features": {"w2v": {"dim": 4, "planted": 1, "signal": 0.5}}}
    demo.make_humor(root, spec, seed=2)
    feats = root / "feature_segments/w2v"
    # rows outside every labelled window (the baseline's scaler sees them), and a window with no rows
    extra = feats / "train_coach00/train_coach00_v00.csv"
    df = pd.read_csv(extra)
    outside = df.iloc[:3].assign(timestamp=[10**7, 10**7 + 500, 10**7 + 1000])
    outside.iloc[:, 2:] = 50.0
    dropped = (df.segment_id == 1) & (df.timestamp < 2000)
    pd.concat([df[~dropped], outside]).to_csv(extra, index=False)
    emb = data.read_humor(root / "metadata/partition.csv", root / "label_segments", root / "feature_segments", "w2v")
    scaler = parser_scaler(sorted(feats.glob("train_coach*/*.csv")))
    mean, std = fit_scaler(emb.subset("train"))
    np.testing.assert_allclose(mean, scaler.mean_, rtol=1e-5)
    np.testing.assert_allclose(std, scaler.scale_, rtol=1e-5)
    assert emb.empty.sum() == 1 and emb.attrs["empty_segments"] == 1
    scaled = normalised(emb, mean, std)
    i = int(np.flatnonzero(emb.empty)[0])
    assert not scaled.sequences[i].any(), "an empty window is a zero vector after scaling, as the baseline's"
    parsed = parser_humor(root, "w2v", normalize=True)
    expected = parsed["train"][0] + parsed["devel"][0]  # the store's order: the partition file's (train first)
    assert len(expected) == len(scaled.sequences)
    for ours, theirs in zip(scaled.sequences, expected):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-5)


def test_store_keeps_the_partition_files_order_as_the_baselines_parser(tmp_path):
    root = tmp_path / "h"
    spec = {"coaches": {"train": 2, "devel": 1, "test": 0}, "videos_per_coach": 2, "segments_per_video": 10,
            "positive_rate": 0.5, "features": {"w2v": {"dim": 3, "planted": 1, "signal": 0.5}}}
    demo.make_humor(root, spec, seed=2)
    part = pd.read_csv(root / "metadata/partition.csv")
    part.iloc[::-1].to_csv(root / "metadata/partition.csv", index=False)  # devel first, then train 01, 00
    emb = data.read_humor(root / "metadata/partition.csv", root / "label_segments", root / "feature_segments", "w2v")
    coaches = list(dict.fromkeys(s.split("/")[0] for s in emb.sample_ids))
    assert coaches == part.iloc[::-1, 0].tolist()


def test_demo_writes_the_real_datas_id_quirks(tmp_path):
    spec = {"coaches": {"train": 1, "devel": 1, "test": 0}, "videos_per_coach": 3, "segments_per_video": 25,
            "positive_rate": 0.5, "features": {"w2v": {"dim": 3, "planted": 1, "signal": 0.5}}}
    demo.make_humor(tmp_path / "h", spec, seed=1)
    for coach in ("train_coach00", "devel_coach00"):
        labels = pd.concat([pd.read_csv(p) for p in sorted((tmp_path / "h/label_segments" / coach).glob("*.csv"))])
        ids = [set(pd.read_csv(p).segment_id) for p in sorted((tmp_path / "h/label_segments" / coach).glob("*.csv"))]
        assert len(ids) == 3 and len(labels) == 3 * 25
        assert all(not (a & b) for k, a in enumerate(ids) for b in ids[k + 1:]), "segment ids repeat across videos"
    mimic = {"videos": {"train": 4, "devel": 3, "test": 1}, "features": {"w2v": {"dim": 3, "planted": 1, "signal": 0.5}}}
    targets = ["Approval_", "Disappointment_", "Uncertainty_"]
    demo.make_mimic(tmp_path / "m", mimic, targets, seed=1)
    assert pd.read_csv(tmp_path / "m/partition.csv", dtype=str).iloc[0, 0] == '"00000"'
    assert pd.read_csv(tmp_path / "m/labels.csv", dtype=str).filename[0] == '"00000"'
    emb = data.read_mimic(tmp_path / "m/partition.csv", tmp_path / "m/labels.csv", tmp_path / "m/features", "w2v",
                          targets)
    assert emb.sample_ids.tolist() == [f"{i:05d}" for i in range(8)]
    labels = pd.read_csv(tmp_path / "m/labels.csv")
    np.testing.assert_allclose(emb.labels, labels[targets].to_numpy(np.float32))


def test_a_devel_score_undefined_in_every_epoch_is_an_error_that_says_why(tmp_path):
    from subspace.train import TrainingError
    emb = humor_store(tmp_path)
    emb.labels[emb.partitions == "devel"] = 1.0  # one class: AUC is undefined
    cfg = TrainConfig(task_type="binary", lr=0.01, batch_size=32, max_epochs=3, seed=1)
    with pytest.raises(TrainingError, match="undefined .NaN. in every one of 3 epochs.*one class"):
        train_decoder(emb, DecoderConfig(d_in=emb.dim, model_dim=4, d_fc_out=4), cfg)
