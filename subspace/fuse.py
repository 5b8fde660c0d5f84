"""Late fusion: combine the per-modality decoders' predictions (as the MuSe 2023 baseline does).

A combination is a list of members ``feature[:variant]`` (variant ``full`` by default, or a
selection threshold such as ``mean``), e.g. ``["w2v:mean", "bert"]``. Every member contributes the
``predictions.csv`` of its best-devel seed. Two methods:

* ``mean``: the plain mean of the members' probabilities (binary: Humor; multiclass: per class) or values
  (regression: Mimic);
* ``weighted``: weights fitted on devel (binary: logistic regression on the members' logits; multiclass:
  non-negative member weights on their log-probabilities plus a bias per class, by cross-entropy;
  regression: non-negative least squares per target). Its devel score is therefore in-sample and
  optimistic; the test score is the honest one.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.linear_model import LinearRegression, LogisticRegression

from . import targets as kinds
from .atomic import write_csv, write_text
from .errors import InputError
from .metrics import score
from .runs import best_of, predictions_of

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


def read_predictions(path, targets: list[str], classes=None) -> pd.DataFrame:
    try:
        df = pd.read_csv(path, dtype={"sample_id": str})
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputError(path, f"cannot read predictions: {exc}") from None
    need = ["sample_id", "partition"] + [c for cols in kinds.prediction_columns(targets, classes).values()
                                         for c in cols]
    missing = [c for c in need if c not in df.columns]
    if missing:
        raise InputError(path, f"missing columns {missing}")
    if df.duplicated(["sample_id", "partition"]).any():
        raise InputError(path, "duplicate (sample_id, partition) rows")
    return df.set_index(["partition", "sample_id"]).sort_index()


def align(frames: dict[str, pd.DataFrame], paths: dict[str, str], targets: list[str]):
    """Check that all members predict the same samples with the same labels; stack them.

    Returns the index, labels (n, targets) and predictions (members, n, targets; multiclass: n, classes).
    """
    names = list(frames)
    ref = frames[names[0]]
    labels = kinds.prediction_arrays(ref, targets)[0]
    preds = []
    for name in names:
        df = frames[name]
        if not df.index.equals(ref.index):
            raise InputError(paths[name], f"predicts other samples than {paths[names[0]]} "
                             f"({len(df)} vs {len(ref)} rows)")
        lab, pred = kinds.prediction_arrays(df, targets)
        if not np.allclose(lab, labels, equal_nan=True, atol=1e-5):
            raise InputError(paths[name], f"labels differ from {paths[names[0]]}")
        preds.append(pred)
    return ref.index, labels, np.stack(preds)


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def fit_weights(task_type: str, devel_preds: np.ndarray, devel_labels: np.ndarray):
    """Per target (multiclass: one): (weights over members, intercept) fitted on devel."""
    if task_type == "multiclass":
        return [fit_class_weights(devel_preds, devel_labels[:, 0].astype(int))]
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


# a little ridge on the class biases keeps them finite where a class is missing from devel
BIAS_RIDGE = 1e-4


def fit_class_weights(probs: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Non-negative member weights w and class biases b of softmax(sum_m w_m log p_m + b), the members' class
    probabilities ``probs`` (members, n, classes) combined as a weighted product, fitted by the mean cross-entropy
    of the devel ``labels`` (L-BFGS-B, from the plain mean of the log-probabilities)."""
    from scipy.optimize import minimize
    from scipy.special import log_softmax

    logp = np.log(np.clip(probs, 1e-12, 1.0))
    n_members, n, n_classes = logp.shape
    onehot = np.eye(n_classes)[labels]

    def loss(params):
        w, b = params[:n_members], params[n_members:]
        log_q = log_softmax(np.tensordot(w, logp, axes=1) + b, axis=1)
        residual = np.exp(log_q) - onehot  # d loss / d scores, per sample
        grad_w = np.einsum("nc,mnc->m", residual, logp) / n
        grad_b = residual.mean(0) + 2 * BIAS_RIDGE * b
        return -(onehot * log_q).sum() / n + BIAS_RIDGE * (b ** 2).sum(), np.concatenate([grad_w, grad_b])

    start = np.concatenate([np.full(n_members, 1.0 / n_members), np.zeros(n_classes)])
    fit = minimize(loss, start, jac=True, method="L-BFGS-B",
                   bounds=[(0, None)] * n_members + [(None, None)] * n_classes)
    return fit.x[:n_members], fit.x[n_members:]


def apply_weights(task_type: str, preds: np.ndarray, weights) -> np.ndarray:
    if task_type == "multiclass":
        from scipy.special import softmax
        (w, b), = weights
        return softmax(np.tensordot(w, np.log(np.clip(preds, 1e-12, 1.0)), axes=1) + b, axis=1)
    cols = []
    for k, (w, b) in enumerate(weights):
        if task_type == "binary":
            cols.append(1 / (1 + np.exp(-(_logit(preds[:, :, k].T) @ w + b))))
        else:
            cols.append(preds[:, :, k].T @ w + b)
    return np.stack(cols, 1)


def fuse(task_type: str, method: str, preds: np.ndarray, labels: np.ndarray, partitions: np.ndarray):
    """Fused predictions (n, targets; multiclass: n, classes) and the fitted weights (None for the mean)."""
    if method == "mean":
        return preds.mean(0), None
    if method == "weighted":
        dv = partitions == "devel"
        weights = fit_weights(task_type, preds[:, dv], labels[dv])
        return apply_weights(task_type, preds, weights), weights
    raise ValueError(f"unknown fusion method '{method}' (use one of {METHODS})")


def _scores(metric: str, labels: np.ndarray, pred: np.ndarray, partitions: np.ndarray) -> dict:
    out = {}
    for part in ("devel", "test"):
        m = partitions == part
        if m.any() and not np.isnan(labels[m]).any():
            out[part] = score(metric, labels[m], pred[m])
        else:
            out[part] = np.nan
    return out


def fusion_table(task: str, task_type: str, targets: list[str], combinations: list[list[str]],
                 methods: list[str], member_metrics: dict[str, list[str]], metric: str | None = None,
                 classes=None):
    """One row per (combination, method) in the paper's form, plus the fused predictions.

    ``member_metrics`` maps ``feature:variant`` to its seeds' metrics.json files; each seed's
    ``predictions.csv`` sits next to its metrics.json. ``metric`` scores the fusions (default: the kind's);
    ``classes`` are a multiclass task's.
    """
    metric = metric or kinds.metric_of({"type": task_type})
    rows, fused_frames = [], []
    singles = {}
    for name, files in member_metrics.items():
        path, rec = best_of(files)
        singles[name] = {"metrics": path, "seed": rec["seed"], "devel": rec["scores"]["devel"],
                         "test": rec["scores"].get("test", np.nan),
                         "predictions": predictions_of(path)}
    for combo in combinations:
        members = [str(Member.parse(m)) for m in combo]
        missing = [m for m in members if m not in singles]
        if missing:
            raise ValueError(f"fusion member(s) {missing} have no trained decoders")
        paths = {m: singles[m]["predictions"] for m in members}
        frames = {m: read_predictions(p, targets, classes) for m, p in paths.items()}
        index, labels, preds = align(frames, paths, targets)
        partitions = index.get_level_values("partition").to_numpy()
        best_single = max(members, key=lambda m: singles[m]["devel"])
        for method in methods:
            pred, weights = fuse(task_type, method, preds, labels, partitions)
            s = _scores(metric, labels, pred, partitions)
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
            fused_frames.append(pd.DataFrame({
                "variants": " + ".join(members), "method": method, "sample_id": index.get_level_values("sample_id"),
                "partition": partitions, **kinds.prediction_values(labels, pred, targets, classes)}))
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
