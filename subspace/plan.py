"""What a run makes and what each of its jobs reads, as plain functions of the typed config.

The rule files (workflow/rules/*.smk) hold only rules; their input functions are one-line lambdas that call a
:class:`Plan`, so this knowledge is testable without Snakemake. Paths come from :class:`subspace.layout.Results`;
a job's settings from its step module's ``spec`` (subspace/steps/). Nothing heavy is imported here: the
workflow builds a plan every time it reads the config (the user's raw media are listed with pandas, lazily).
"""
from __future__ import annotations

from pathlib import Path

from . import demo_files as demo_layout
from .config.demo_checks import demo_files_of, is_demo
from .config.model import Config
from .fingerprint import fingerprint
from .layout import Results

MEDIA_KEYS = {"audio": ["audio"], "video": ["video", "face_boxes"], "fau": ["fau"], "text": ["transcript"]}
DEMO_MODEL_FILES = ("config.json", "model.safetensors", "preprocessor_config.json")


class Plan:
    def __init__(self, cfg: Config):
        self.cfg, self.r = cfg, Results(cfg.results)
        self._videos: dict[str, tuple] = {}
        self._demo_files: dict[str, dict] = {}

    # --- the data a task reads
    def is_demo(self, task: str) -> bool:
        return is_demo(self.cfg, task)

    def demo_files(self, task: str) -> dict[str, list[str]]:
        """Every file the demo writes for a task, by kind ('partition', 'labels', 'feature:<name>', 'raw:<kind>');
        listed once per task (Mimic: thousands of paths, asked for by every job that reads them)."""
        if task not in self._demo_files:
            self._demo_files[task] = demo_files_of(self.cfg, task)
        return self._demo_files[task]

    def demo_outputs(self, task: str) -> list[str]:
        return [p for paths in self.demo_files(task).values() for p in paths]

    def label_inputs(self, task: str) -> list[str]:
        """The partition and label files of a task (the demo's: the files its rule writes)."""
        if self.is_demo(task):
            files = self.demo_files(task)
            return files["table"] if "table" in files else files["partition"] + files["labels"]
        t = self.cfg.tasks[task]
        if t.layout == "table":
            return [t.table]
        if t.layout == "humor":
            return [t.partition_file] + sorted(str(p) for p in Path(t.label_dir).glob("*/*.csv"))
        return [t.partition_file, t.label_file]

    def store_inputs(self, task: str, feature: str) -> list[str]:
        """The partition, label and feature files a (task, feature) store is built from (a table task: the table
        and the pre-computed feature's files)."""
        if self.is_demo(task):
            return self.label_inputs(task) + self.demo_files(task)[f"feature:{feature}"]
        t = self.cfg.tasks[task]
        if t.layout == "table":
            path = t.features[feature].path
            if "{id}" not in path:
                return self.label_inputs(task) + [path]
            from .vectors import sample_file
            return self.label_inputs(task) + [str(sample_file(path, i)) for i in self.table_ids(task)]
        folder = Path(t.feature_dir) / feature
        return self.label_inputs(task) + sorted(str(p) for p in folder.rglob("*.csv"))

    def data_fingerprint(self, task: str, files) -> str:
        """The user's data files of a job (:mod:`subspace.fingerprint`): recorded as a parameter, a content
        change reruns the job even when it left an older modification time. Demo data is a rule's output,
        which Snakemake tracks itself."""
        return "" if self.is_demo(task) else fingerprint(files)

    @staticmethod
    def user_files(inputs: dict) -> list[str]:
        """The user's files among a job's named inputs (not what other jobs write: translations, selections)."""
        return [f for key in ("labels", "media", "audio", "model") for f in inputs.get(key, [])]

    # --- raw-media extraction
    def encoder_of(self, task: str, feature: str) -> str:
        return self.cfg.tasks[task].features[feature].source

    def raw_features(self) -> list[str]:
        return [f for t in self.cfg.tasks.values() for f in t.raw_features()]

    def store_features(self) -> list[str]:
        """Features the `store` rule reads from files (CSV or pre-computed); the others are extracted."""
        return [f for t in self.cfg.tasks.values() for f in t.store_features()]

    def shard_ids(self, task: str, feature: str) -> list[str]:
        n = self.cfg.tasks[task].features[feature].shards or self.cfg.extraction.shards
        return [f"{k}-of-{n}" for k in range(n)]

    def merge_shards(self, task: str, feature: str) -> list[str]:
        """The shards a feature's store is merged from: its family's (a feature of `layers` is extracted with it)."""
        family = self.cfg.tasks[task].layer_family(feature)[0]
        return [self.r.shard(task, family, s) for s in self.shard_ids(task, family)]

    def task_videos(self, task: str) -> tuple:
        """(subject, video) pairs in store order; for the demo from its sizes (its files come later)."""
        if task not in self._videos:
            if self.is_demo(task):
                spec = getattr(self.cfg.demo, task).model_dump()
                videos = (demo_layout.humor_videos(spec) if self.cfg.tasks[task].layout == "humor"
                          else [(v, v) for v, _ in demo_layout.mimic_videos(spec)])
            else:
                from .media import list_videos  # reads the partition and label files (pandas)
                from .steps.store import spec as store_spec
                videos = list_videos(store_spec(self.cfg, task))
            self._videos[task] = tuple(videos)
        return self._videos[task]

    def table_samples(self, task: str, kind: str = "") -> list:
        """A user's table task's samples (:mod:`subspace.samples`), read once per run."""
        if (task, kind) not in self._videos:
            from .samples import TABLE_NEEDS, table_samples
            from .steps.store import spec as store_spec
            self._videos[(task, kind)] = tuple(table_samples(store_spec(self.cfg, task), TABLE_NEEDS.get(kind, ())))
        return list(self._videos[(task, kind)])

    def table_ids(self, task: str) -> list[str]:
        return [s.sample_id for s in self.table_samples(task)]

    def table_media(self, task: str, shard: str, kind: str) -> list[str]:
        """The media files one extraction shard of a table task reads (a text shard reads only the table)."""
        from .samples import shard_videos, table_units
        k, n = (int(x) for x in shard.split("-of-"))
        if kind == "text":
            return []
        if self.is_demo(task):
            return shard_videos(self.demo_files(task)[f"raw:{kind}"], k, n)
        return shard_videos(table_units(self.table_samples(task, kind), kind), k, n)

    def shard_media(self, task: str, shard: str, keys) -> list[str]:
        """The media files of one shard's videos."""
        from .media import media_path, shard_videos
        from .steps.store import spec as store_spec
        k, n = (int(x) for x in shard.split("-of-"))
        spec = store_spec(self.cfg, task)
        return [str(media_path(spec, key, s, v)) for key in keys if spec["media"].get(key)
                for s, v in shard_videos(list(self.task_videos(task)), k, n)]

    def model_input(self, encoder: str | None) -> list[str]:
        """An encoder's model folder: built by the `tiny_model` rule in the demo, else the user's."""
        folder = self.cfg.encoders[encoder].model if encoder else None
        return [folder] if folder else []

    def translate_inputs(self, task: str, feature: str, shard: str) -> dict:
        return {"labels": self.label_inputs(task), "media": self.shard_media(task, shard, ["transcript"]),
                "model": self.model_input(self.cfg.encoders[self.encoder_of(task, feature)].translate)}

    def extract_inputs(self, task: str, feature: str, shard: str) -> dict:
        name = self.encoder_of(task, feature)
        inputs = {"labels": self.label_inputs(task), "model": self.model_input(name)}
        if self.cfg.tasks[task].layout == "table":
            inputs["media"] = self.table_media(task, shard, self.cfg.encoders[name].kind)
        elif self.cfg.encoders[name].translate:
            inputs["transcripts"] = self.r.translated(task, feature, shard)
        else:
            inputs["media"] = self.shard_media(task, shard, MEDIA_KEYS[self.cfg.encoders[name].kind])
        return inputs

    # --- decoders
    def seed_files(self, task: str, feature: str, variant: str, name: str) -> list[str]:
        return [self.r.seed_file(task, feature, variant, s, name) for s in self.cfg.seeds]

    def selection_input(self, task: str, feature: str, variant: str):
        return [] if variant == "full" else self.r.selection(task, feature, variant)

    # --- fusion, fine-tuning
    def fusion_inputs(self, task: str) -> list[str]:
        from .steps.fuse import members
        files = [p for paths in members(self.cfg, task).values() for p in paths]
        return files + [str(Path(p).parent / "predictions.csv") for p in files]

    def finetune_demo_files(self, task: str) -> tuple[list[str], list[str]]:
        """Demo audio (one WAV per demo video) and the tiny model's files, where `finetune.<task>.demo` is set."""
        f = self.cfg.finetune[task]
        videos = [v for v, _ in demo_layout.mimic_videos(getattr(self.cfg.demo, task).model_dump())]
        return [f"{f.audio_dir}/{v}.wav" for v in videos], [f"{f.model}/{name}" for name in DEMO_MODEL_FILES]

    def finetune_inputs(self, task: str, variant: str) -> dict:
        f = self.cfg.finetune[task]
        if f.demo is not None:
            audio, model = self.finetune_demo_files(task)
        else:
            audio = sorted(str(p) for p in Path(f.audio_dir).glob("*.wav"))
            model = sorted(str(p) for p in Path(f.model).iterdir() if p.is_file())
        return {"audio": audio, "model": model, "labels": self.label_inputs(task),
                "selection": self.selection_input(task, f.selection_feature, variant)}

    # --- what `snakemake` (the default target) makes
    def outputs(self) -> list[str]:
        """Every final output of a run: per task its tables and figures, then fusion, FAU figures, fine-tuning, and
        each task's summary (its first page in the report)."""
        out = [p for task in self.cfg.tasks for p in self.task_outputs(task) + self.evaluation_outputs(task)]
        html = ("csv", "md", "html")
        out += [p for task in self.cfg.fusion.combinations for p in self.r.tables(task, "fusion", html)]
        out += [p for task, feats in self.cfg.fau_features.items() for f in feats
                for p in self.r.figures(task, f"fau_{f}")]
        for task, f in self.cfg.finetune.items():
            for variant in f.variants:
                for seed in self.cfg.finetune_seeds(task):
                    out += [self.r.finetune_file(task, variant, seed, n) for n in ("metrics.json", "loss_curve.png")]
        return out + [self.r.summary(task, ext) for task in self.cfg.tasks for ext in ("html", "txt")]

    def task_outputs(self, task: str) -> list[str]:
        """The paper's table and figures of a task (and the demo's recovery table, the paper-vs-run table)."""
        from .steps.paper_table import features as paper_features
        html = ("csv", "md", "html")
        out = self.r.tables(task, "full_vs_reduced", html)
        out += self.r.figures(task, "attribution_mean") + self.r.figures(task, "attribution_std")
        if self.cfg.tasks[task].type == "multiclass":  # which dimensions serve which class
            out += self.r.figures(task, "attribution_classes")
        if self.is_demo(task):
            out += self.r.tables(task, "planted_recovery", html)
        if paper_features(self.cfg, task):
            out += self.r.tables(task, "paper_vs_run", html)
        return out

    def evaluation_features(self, task: str) -> list[str]:
        ev = self.cfg.evaluation
        return ev.features.get(task, []) if ev else []

    def evaluation_outputs(self, task: str) -> list[str]:
        """The evaluation's outputs and the HTML renderings of its tables."""
        from .steps import cross_task, stability
        from .sweepfiles import chosen
        html = ("csv", "md", "html")
        out = self.r.tables(task, "attribution_checks", html)
        for feature in self.evaluation_features(task):
            out += [self.r.topk_table(task, feature, ext) for ext in html] + self.r.figures(task, f"topk_{feature}")
        from .steps.layer_table import families
        for family in families(self.cfg, task):  # layers as features (a feature's `layers`)
            out += self.r.tables(task, f"layers_{family}", html) + self.r.figures(task, f"layers_{family}")
        for feature in chosen(self.cfg, task, "removal"):
            out += [self.r.topk_table(task, f"{feature}.removal", ext) for ext in html]
            out += self.r.figures(task, f"topk_{feature}.removal")
        for feature in chosen(self.cfg, task, "control"):
            out += [self.r.topk_table(task, f"{feature}.control", ext) for ext in html]
        if self.cfg.selection.ranking == "auto" and self.evaluation_features(task):
            out += self.r.tables(task, "ranking_choice", html)
        if stability.features(self.cfg, task):
            out += self.r.tables(task, "selection_stability", html)
        for (_, feature), (other, other_feature) in cross_task.pairs(self.cfg, task):
            name = cross_task.name(feature, other, other_feature)
            out += self.r.tables(task, name, html) + self.r.figures(task, name)
        return out
