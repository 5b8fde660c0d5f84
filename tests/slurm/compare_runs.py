"""Compare two runs of the workflow (local vs SLURM): every result that does not measure time must match.

    python tests/slurm/compare_runs.py LOCAL_RESULTS SLURM_RESULTS

Compared: every metrics.json (all keys except wall times), predictions.csv, selection JSON,
attribution HDF5 (every dataset and attribute), embedding store datasets, and the score and size
columns of every table CSV. Wall-time fields (`*seconds*`, `*_s` table columns) are skipped: they
differ from run to run. Exits 1 with one line per difference, 0 with a summary when all match.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import h5py
import numpy as np
import pandas as pd

RTOL, ATOL = 1e-6, 1e-9   # same code, same seeds, same thread count: the numbers should be equal


def is_time(key: str) -> bool:
    return "seconds" in key or key.endswith("_s")


def same(a, b) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a if not is_time(k))
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) or isinstance(b, float):
        return bool(np.isclose(a, b, rtol=RTOL, atol=ATOL, equal_nan=True))
    return a == b


def arrays_equal(a, b) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        return False
    if a.dtype.kind in "fc":
        return bool(np.allclose(a, b, rtol=RTOL, atol=ATOL, equal_nan=True))
    return bool(np.array_equal(a, b))


def compare_h5(a: Path, b: Path, problems: list[str]) -> None:
    with h5py.File(a) as fa, h5py.File(b) as fb:
        if set(fa.keys()) != set(fb.keys()):
            problems.append(f"{a.name}: datasets differ: {sorted(fa.keys())} vs {sorted(fb.keys())}")
        for key in sorted(set(fa.keys()) & set(fb.keys())):
            if not arrays_equal(fa[key][()], fb[key][()]):
                problems.append(f"{a}: dataset {key} differs")
        for key in sorted(set(fa.attrs) | set(fb.attrs)):
            if is_time(key):
                continue
            va, vb = fa.attrs.get(key), fb.attrs.get(key)
            if not (arrays_equal(va, vb) if isinstance(va, np.ndarray) else same(va, vb)):
                problems.append(f"{a}: attribute {key} differs: {va!r} vs {vb!r}")


def compare_csv(a: Path, b: Path, problems: list[str]) -> None:
    da, db = pd.read_csv(a, dtype={"sample_id": str}), pd.read_csv(b, dtype={"sample_id": str})
    if list(da.columns) != list(db.columns) or len(da) != len(db):
        problems.append(f"{a}: columns or rows differ")
        return
    for col in da.columns:
        if is_time(col):
            continue
        numeric = pd.api.types.is_numeric_dtype(da[col]) and pd.api.types.is_numeric_dtype(db[col])
        # text columns may hold NaN for empty cells (e.g. fusion weights of the `mean` method)
        equal = arrays_equal(da[col].to_numpy(), db[col].to_numpy()) if numeric else da[col].equals(db[col])
        if not equal:
            problems.append(f"{a}: column {col} differs")


def main(local: Path, slurm: Path) -> int:
    kinds = {"metrics.json": 0, "predictions.csv": 0, "selection": 0, "attribution": 0, "embeddings": 0,
             "tables": 0}
    problems: list[str] = []
    files = sorted(p.relative_to(local) for p in local.rglob("*") if p.is_file()
                   and p.parts[len(local.parts)] not in ("logs", "benchmarks"))
    if not files:
        problems.append(f"{local}: no results")
    for rel in files:
        a, b = local / rel, slurm / rel
        if not b.exists():
            problems.append(f"{b}: missing in the SLURM run")
            continue
        parts = rel.parts
        if rel.name == "metrics.json":
            kinds["metrics.json"] += 1
            if not same(json.loads(a.read_text()), json.loads(b.read_text())):
                problems.append(f"{rel}: scores or history differ")
        elif rel.name == "predictions.csv":
            kinds["predictions.csv"] += 1
            compare_csv(a, b, problems)
        elif "selection" in parts:
            kinds["selection"] += 1
            if json.loads(a.read_text()) != json.loads(b.read_text()):
                problems.append(f"{rel}: selected dimensions differ")
        elif "attribution" in parts or "embeddings" in parts:
            kinds["attribution" if "attribution" in parts else "embeddings"] += 1
            compare_h5(a, b, problems)
        elif "tables" in parts and rel.suffix == ".csv":
            kinds["tables"] += 1
            compare_csv(a, b, problems)
    missing = [k for k, n in kinds.items() if n == 0]
    if missing:
        problems.append(f"nothing compared for: {missing}")
    for p in problems:
        print(f"DIFFERENT: {p}")
    if problems:
        return 1
    print("local and SLURM results match: " + ", ".join(f"{n} {k}" for k, n in kinds.items()))
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2])))
