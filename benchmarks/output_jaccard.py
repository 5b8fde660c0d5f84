"""How much the selection depends on what IG explains: the activated output (the default, as the paper)
or the logit before the sigmoid. For every feature of a finished run, IG of the same decoder (the best seed's,
as the `attribute` rule picks it) with the other output, selected with each threshold, against the run's.

    python benchmarks/output_jaccard.py [results] [config]      # after `make demo`; prints a Markdown table
"""
from __future__ import annotations

import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from subspace import attribute, evaluate, select, store, train  # noqa: E402
from subspace.atomic import read_json  # noqa: E402


def other_output_selection(results: Path, task: str, feature: str, cfg: dict, thresholds: list[str]) -> dict:
    done = store.read_attributions(results / task / "attribution" / f"{feature}.h5")
    output = done["attrs"].get("output", "activated")
    other = "logit" if output == "activated" else "activated"
    ckpt = train.load_checkpoint(Path(done["attrs"]["model"]) / "model.pt")
    emb = train.prepare_inputs(store.read_embeddings(results / task / "embeddings" / f"{feature}.h5"), ckpt)
    train.set_determinism(0, 1)
    stats = attribute.attribute_sequences(ckpt["model"], emb.subset("train").sequences,
                                          attribute.AttributionConfig(**dict(cfg, output=other)), progress=False)
    out = {}
    for t in thresholds:
        mine = read_json(results / task / "selection" / feature / f"{t}.json")["kept"]
        theirs = select.select_dims(stats["mean"], t).tolist()
        out[t] = (len(mine), len(theirs), evaluate.jaccard(mine, theirs))
    return {"output": output, "other": other, "by_threshold": out}


def main() -> None:
    results = Path(sys.argv[1] if len(sys.argv) > 1 else "results")
    config = yaml.safe_load(Path(sys.argv[2] if len(sys.argv) > 2 else "config/config.yaml").read_text())
    thresholds = config["selection"]["thresholds"]
    print("| task | feature | threshold | kept (activated) | kept (logit) | Jaccard |")
    print("|---|---|---|---|---|---|")
    for task, t in config["tasks"].items():
        for feature in t["features"]:
            if not (results / task / "attribution" / f"{feature}.h5").exists():
                continue
            r = other_output_selection(results, task, feature, config["attribution"], thresholds)
            for thr, (a, b, j) in r["by_threshold"].items():
                if r["output"] == "logit":
                    a, b = b, a
                print(f"| {task} | {feature} | {thr} | {a} | {b} | {j:.3f} |", flush=True)


if __name__ == "__main__":
    main()
