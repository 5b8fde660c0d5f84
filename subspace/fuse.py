"""Late fusion: combine the per-modality decoders' predictions (as the MuSe 2023 baseline does).

A combination is a list of members ``feature[:variant]`` (variant ``full`` by default, or a
selection threshold such as ``mean``), e.g. ``["w2v:mean", "bert"]``. Every member contributes the
``predictions.csv`` of its best-devel seed. Two methods:

* ``mean``: the plain mean of the members' probabilities (Humor) or values (Mimic);
* ``weighted``: weights fitted on devel (Humor: logistic regression on the members' logits;
  Mimic: non-negative least squares per target). Its devel score is therefore in-sample and
  optimistic; the test score is the honest one.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.linear_model import LinearRegression, LogisticRegression

from . import metrics
from .atomic import read_json, write_csv, write_text
from .errors import InputError

METHODS = ("mean", "weighted")


@dataclass(frozen=True)
class Member:
    feature: str
    variant: str = "full"

    @classmethod
    def parse(cls, text: str) -> "Member":
        feature, _, variant = text.strip().partition(":")
        if not feature:
            raise ValueError(f"empty fusion member '{text}'")
        return cls(feature.strip(), variant.strip() or "full")

    def __str__(self) -> str:
        return f"{self.feature}:{self.variant}"


def best_seed(metric_files: list[str]) -> tuple[str, dict]:
    """The metrics.json (path, record) whose devel score is highest (first one on ties)."""
    records = []
    for path in metric_files:
        try:
            records.append((path, read_json(path)))
        except (OSError, ValueError) as exc:
            raise InputError(path, f"cannot read metrics: {exc}") from None
    for path, rec in records:
        if "devel" not in rec.get("scores", {}):
            raise InputError(path, "has no devel score")
    return max(records, key=lambda pr: pr[1]["scores"]["devel"])


def read_predictions(path, targets: list[str]) -> pd.DataFrame:
    try:
        df = pd.read_csv(path, dtype={"sample_id": str})
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputError(path, f"cannot read predictions: {exc}") from None
    need = ["sample_id", "partition"] + [f"label_{t}" for t in targets] + [f"pred_{t}" for t in targets]
    missing = [c for c in need if c not in df.columns]
    if missing:
        raise InputError(path, f"missing columns {missing}")
    if df.duplicated(["sample_id", "partition"]).any():
        raise InputError(path, "duplicate (sample_id, partition) rows")
    return df.set_index(["partition", "sample_id"]).sort_index()


def align(frames: dict[str, pd.DataFrame], paths: dict[str, str], targets: list[str]):
    """Check that all members predict the same samples with the same labels; stack them.

    Returns the index, labels (n, targets) and predictions (members, n, targets).
    """
    names = list(frames)
    ref = frames[names[0]]
    labels = ref[[f"label_{t}" for t in targets]].to_numpy(float)
    preds = []
    for name in names:
        df = frames[name]
        if not df.index.equals(ref.index):
            raise InputError(paths[name], f"predicts other samples than {paths[names[0]]} "
                             f"({len(df)} vs {len(ref)} rows)")
        lab = df[[f"label_{t}" for t in targets]].to_numpy(float)
        if not np.allclose(lab, labels, equal_nan=True, atol=1e-5):
            raise InputError(paths[name], f"labels differ from {paths[names[0]]}")
        preds.append(df[[f"pred_{t}" for t in targets]].to_numpy(float))
    return ref.index, labels, np.stack(preds)


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def fit_weights(task_type: str, devel_preds: np.ndarray, devel_labels: np.ndarray):
    """Per target: (weights over members, intercept) fitted on devel."""
    n_members, _, n_targets = devel_preds.shape
    out = []
    for k in range(n_targets):
        x, y = devel_preds[:, :, k].T, devel_labels[:, k]
        if task_type == "binary":
            if len(np.unique(y)) < 2:
                raise ValueError("weighted fusion needs both classes in devel")
            model = LogisticRegression(C=1e4, max_iter=1000).fit(_logit(x), y.astype(int))
            out.append((model.coef_.ravel(), float(model.intercept_[0])))
        else:
            model = LinearRegression(positive=True).fit(x, y)
            w = model.coef_.ravel()
            if not w.any():  # every member anti-correlated with devel: fall back to the mean
                w = np.full(n_members, 1.0 / n_members)
            out.append((w, float(model.intercept_)))
    return out


def apply_weights(task_type: str, preds: np.ndarray, weights) -> np.ndarray:
    cols = []
    for k, (w, b) in enumerate(weights):
        if task_type == "binary":
            cols.append(1 / (1 + np.exp(-(_logit(preds[:, :, k].T) @ w + b))))
        else:
            cols.append(preds[:, :, k].T @ w + b)
    return np.stack(cols, 1)


def fuse(task_type: str, method: str, preds: np.ndarray, labels: np.ndarray, partitions: np.ndarray):
    """Fused predictions (n, targets) and the fitted weights (None for the mean)."""
    if method == "mean":
        return preds.mean(0), None
    if method == "weighted":
        dv = partitions == "devel"
        weights = fit_weights(task_type, preds[:, dv], labels[dv])
        return apply_weights(task_type, preds, weights), weights
    raise ValueError(f"unknown fusion method '{method}' (use one of {METHODS})")


def _scores(task_type: str, labels: np.ndarray, pred: np.ndarray, partitions: np.ndarray) -> dict:
    out = {}
    for part in ("devel", "test"):
        m = partitions == part
        if m.any() and not np.isnan(labels[m]).any():
            out[part] = metrics.score(task_type, labels[m], pred[m])
        else:
            out[part] = np.nan
    return out


def fusion_table(task: str, task_type: str, targets: list[str], combinations: list[list[str]],
                 methods: list[str], member_metrics: dict[str, list[str]]):
    """One row per (combination, method) in the paper's form, plus the fused predictions.

    ``member_metrics`` maps ``feature:variant`` to its seeds' metrics.json files; each seed's
    ``predictions.csv`` sits next to its metrics.json.
    """
    rows, fused_frames = [], []
    singles = {}
    for name, files in member_metrics.items():
        path, rec = best_seed(files)
        singles[name] = {"metrics": path, "seed": rec["seed"], "devel": rec["scores"]["devel"],
                         "test": rec["scores"].get("test", np.nan),
                         "predictions": str(path).rsplit("/", 1)[0] + "/predictions.csv"}
    for combo in combinations:
        members = [str(Member.parse(m)) for m in combo]
        missing = [m for m in members if m not in singles]
        if missing:
            raise ValueError(f"fusion member(s) {missing} have no trained decoders")
        paths = {m: singles[m]["predictions"] for m in members}
        frames = {m: read_predictions(p, targets) for m, p in paths.items()}
        index, labels, preds = align(frames, paths, targets)
        partitions = index.get_level_values("partition").to_numpy()
        best_single = max(members, key=lambda m: singles[m]["devel"])
        for method in methods:
            pred, weights = fuse(task_type, method, preds, labels, partitions)
            s = _scores(task_type, labels, pred, partitions)
            rows.append({
                "task": task, "combination": "+".join(Member.parse(m).feature for m in members),
                "variants": " + ".join(members), "method": method,
                "seeds": " + ".join(str(singles[m]["seed"]) for m in members),
                "devel": s["devel"], "test": s["test"],
                "best_single": best_single, "best_single_devel": singles[best_single]["devel"],
                "best_single_test": singles[best_single]["test"],
                "devel_gain": s["devel"] - singles[best_single]["devel"],
                "weights": "" if weights is None else
                "; ".join(",".join(f"{v:.3f}" for v in w) for w, _ in weights),
            })
            frame = pd.DataFrame(pred, columns=[f"pred_{t}" for t in targets])
            frame.insert(0, "sample_id", index.get_level_values("sample_id"))
            frame.insert(1, "partition", partitions)
            for k, t in enumerate(targets):
                frame.insert(2 + k, f"label_{t}", labels[:, k])
            frame.insert(0, "method", method)
            frame.insert(0, "variants", " + ".join(members))
            fused_frames.append(frame)
    single_rows = pd.DataFrame([{"member": m, **{k: v for k, v in s.items() if k in ("seed", "devel", "test")}}
                                for m, s in sorted(singles.items())])
    return pd.DataFrame(rows), single_rows, pd.concat(fused_frames, ignore_index=True)


def to_markdown(df: pd.DataFrame, singles: pd.DataFrame, task: str, metric: str) -> str:
    lines = [f"# {task}: late fusion\n",
             f"{metric} of each combination's fused predictions; every member uses its best-devel seed. "
             "`weighted` fits the weights on devel, so its devel score is in-sample (optimistic); "
             "compare on test.\n",
             f"| combination | variants | method | devel {metric} | test {metric} | best single (devel / test) "
             "| devel gain |", "|---|---|---|---|---|---|---|"]
    for r in df.itertuples():
        lines.append(f"| {r.combination} | {r.variants} | {r.method} | {r.devel:.4f} | {r.test:.4f} "
                     f"| {r.best_single} ({r.best_single_devel:.4f} / {r.best_single_test:.4f}) "
                     f"| {r.devel_gain:+.4f} |")
    lines += ["", "Single modalities (best seed):", "", f"| member | seed | devel {metric} | test {metric} |",
              "|---|---|---|---|"]
    for r in singles.itertuples():
        lines.append(f"| {r.member} | {r.seed} | {r.devel:.4f} | {r.test:.4f} |")
    return "\n".join(lines) + "\n"


def write_fusion(df: pd.DataFrame, singles: pd.DataFrame, fused: pd.DataFrame, task: str, metric: str,
                 csv_path, md_path, predictions_path) -> None:
    write_csv(csv_path, df)
    write_csv(predictions_path, fused)
    write_text(md_path, to_markdown(df, singles, task, metric))
