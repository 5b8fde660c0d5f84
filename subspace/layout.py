"""Where every output of a run goes: one place for the results folder's layout.

The rules use these methods for their outputs (with wildcards such as ``"{task}"`` as arguments) and for
the inputs that other rules read (with concrete values), so a path is written once. docs/outputs.md
describes the files.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Results:
    root: str

    def task(self, task: str, *parts: str) -> str:
        return "/".join((self.root, task) + parts)

    # --- embeddings
    def store(self, task: str, feature: str) -> str:
        return self.task(task, "embeddings", f"{feature}.h5")

    def shard(self, task: str, feature: str, shard: str) -> str:
        return self.task(task, "shards", feature, f"{shard}.h5")

    def translated(self, task: str, feature: str, shard: str) -> str:
        return self.task(task, "translated", feature, shard)

    # --- decoders, attributions, selections
    def model_dir(self, task: str, feature: str, variant: str, seed) -> str:
        return self.task(task, "models", feature, variant, f"seed{seed}")

    def seed_file(self, task: str, feature: str, variant: str, seed, name: str) -> str:
        return f"{self.model_dir(task, feature, variant, seed)}/{name}"

    def attribution(self, task: str, feature: str) -> str:
        return self.task(task, "attribution", f"{feature}.h5")

    def selection(self, task: str, feature: str, threshold: str) -> str:
        return self.task(task, "selection", feature, f"{threshold}.json")

    # --- tables and figures
    def table(self, task: str, name: str, ext: str) -> str:
        return self.task(task, "tables", f"{name}.{ext}")

    def tables(self, task: str, name: str, exts=("csv", "md")) -> list[str]:
        return [self.table(task, name, ext) for ext in exts]

    def figure(self, task: str, name: str, ext: str) -> str:
        return self.task(task, "figures", f"{name}.{ext}")

    def figures(self, task: str, name: str) -> list[str]:
        return [self.figure(task, name, ext) for ext in ("png", "pdf")]

    def summary(self, task: str, ext: str) -> str:
        """The task's first page (html) and its terminal lines (txt)."""
        return self.task(task, f"summary.{ext}")

    def fused_predictions(self, task: str) -> str:
        return self.task(task, "fusion", "predictions.csv")

    def finetune_dir(self, task: str, variant: str, seed) -> str:
        return self.task(task, "finetune", variant, f"seed{seed}")

    def finetune_file(self, task: str, variant: str, seed, name: str) -> str:
        return f"{self.finetune_dir(task, variant, seed)}/{name}"

    # --- evaluation
    def rankings(self, task: str, feature: str) -> str:
        return self.task(task, "evaluation", "rankings", f"{feature}.json")

    def topk_models(self, task: str, feature: str, method: str, seed) -> str:
        return self.task(task, "evaluation", "topk", feature, method, f"seed{seed}")

    def topk_record(self, task: str, feature: str, method: str, seed) -> str:
        return f"{self.topk_models(task, feature, method, seed)}.json"

    def topk_table(self, task: str, feature: str, ext: str) -> str:
        return self.task(task, "evaluation", "topk", f"{feature}.{ext}")

    def control_models(self, task: str, feature: str) -> str:
        return self.task(task, "evaluation", "control", feature)

    def control_record(self, task: str, feature: str) -> str:
        return f"{self.control_models(task, feature)}.json"

    def seed_attributions(self, task: str, feature: str) -> str:
        return self.task(task, "evaluation", "stability", f"{feature}.json")

    def cross_models(self, task: str, feature: str, other: str, other_feature: str, threshold: str) -> str:
        return self.task(task, "evaluation", "cross_task", feature, f"{other}.{other_feature}", threshold)

    def cross_summary(self, task: str, feature: str, other: str, other_feature: str, threshold: str) -> str:
        return f"{self.cross_models(task, feature, other, other_feature, threshold)}.json"

    # --- every job's log and benchmark
    def log(self, *parts: str) -> str:
        return "/".join((self.root, "logs") + parts) + ".log"

    def benchmark(self, *parts: str) -> str:
        return "/".join((self.root, "benchmarks") + parts) + ".tsv"
