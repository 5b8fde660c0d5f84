"""Problems in a config that its types cannot show: keys that name each other, paths, model folders.

Every check yields :class:`Problem` (the dotted key, what is wrong, where the docs explain it) instead of
raising, so that a user sees every problem of a config at once (:func:`subspace.config.load`). The table layout's
checks are in :mod:`.table_checks`, the demo's in :mod:`.demo_checks`.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

from .. import demo_files
from .demo_checks import check_demo_task, demo_dim, is_demo
from .model import Config, Task
from .layer_checks import check_layers
from .problems import DEMO_DOC, EVAL_DOC, KEYS_DOC, LAYOUT_DOC, RAW_DOC, Problem  # noqa: F401 (the checks' vocabulary)
from .table_checks import check_precomputed, check_table_layout, check_task_name, template_folder
from .target_checks import TARGETS_DOC, check_targets  # noqa: F401

MEDIA_KEYS = {"audio": ("audio",), "video": ("video", "face_boxes"), "fau": ("fau",), "text": ("transcript",)}


def check(cfg: Config) -> list[Problem]:
    """Every cross-field problem of a config that passed its types."""
    problems = []
    for checker in (check_results, check_devices, check_tasks, check_encoders, check_shards, check_fusion,
                    check_finetune, check_evaluation, check_layers):
        problems += list(checker(cfg))
    return list(dict.fromkeys(problems))  # one line per problem, however many features share it


# --------------------------------------------------------------------------------------- results
def data_folders(cfg: Config) -> dict[str, Path]:
    """config key -> folder of the user's data (not the demo's, which the workflow writes)."""
    out = {}
    for name, t in cfg.tasks.items():
        if is_demo(cfg, name):
            continue
        for key in ("label_dir", "feature_dir"):
            if getattr(t, key):
                out[f"tasks.{name}.{key}"] = Path(getattr(t, key))
        for key in ("partition_file", "label_file", "table"):
            if getattr(t, key):
                out[f"tasks.{name}.{key}"] = Path(getattr(t, key)).parent
        for feature in t.precomputed_features():
            path = t.features[feature].path
            if path:
                out[f"tasks.{name}.features.{feature}.path"] = (template_folder(path) if "{" in path else
                                                                Path(path).parent)
        for key, template in t.media.model_dump(exclude={"fau_fps", "transcript_columns"}).items():
            if template and "{" in template:
                out[f"tasks.{name}.media.{key}"] = Path(template.split("{")[0]).parent
    for name, f in cfg.finetune.items():
        if f.demo is None:
            out[f"finetune.{name}.audio_dir"] = Path(f.audio_dir)
    return out


def check_results(cfg: Config) -> Iterator[Problem]:
    text = cfg.results.strip()
    if not text:
        yield Problem("results", "is empty: name a folder for the outputs (default results)")
        return
    results = Path(text).expanduser().resolve()
    if results == Path(results.anchor) or results == Path.home().resolve() or results == Path.cwd().resolve():
        yield Problem("results", f"'{cfg.results}' is {results}: the outputs would be spread over it; name a "
                                 f"folder of their own (default results)")
        return
    for key, folder in data_folders(cfg).items():  # one problem is enough: the first folder it clashes with
        folder = folder.expanduser().resolve()
        if results == folder or folder in results.parents:
            yield Problem("results", f"'{cfg.results}' is inside your data ({key}: {folder}): outputs must not "
                                     f"be written among the input files; choose a folder outside it")
            return
        if results in folder.parents:
            yield Problem("results", f"'{cfg.results}' contains your data ({key}: {folder}): cleaning the results "
                                     f"(make clean-demo, --delete-all-output) must never reach the input files")
            return


def check_devices(cfg: Config) -> Iterator[Problem]:
    """A GPU device asked for where the jobs declare no GPU: they would compute on the CPU instead."""
    asked = [("training.device", cfg.training.device, cfg.training.gpu, "training.gpu")]
    asked += [(f"encoders.{n}.device", e.device, cfg.extraction.gpu, "extraction.gpu") for n, e in cfg.encoders.items()
              if e.kind != "fau"]
    asked += [(f"finetune.{t}.device", f.device, f.gpu, f"finetune.{t}.gpu") for t, f in cfg.finetune.items()]
    for key, device, gpus, gpu_key in asked:
        if device.startswith("cuda") and gpus == 0:
            yield Problem(key, f"'{device}' asks for a GPU, but {gpu_key} is 0 (its jobs declare none and run on "
                               f"the CPU): set {gpu_key}: 1, or device: auto", RAW_DOC)


# ----------------------------------------------------------------------------------------- tasks
def check_tasks(cfg: Config) -> Iterator[Problem]:
    raw = {f for t in cfg.tasks.values() for f in t.raw_features()}
    both = raw & {f for t in cfg.tasks.values() for f in t.store_features()}
    if both:
        yield Problem("tasks", f"features {sorted(both)} are raw-media features in one task and CSV or precomputed "
                               f"features in another: rename one", RAW_DOC)
    for name, t in cfg.tasks.items():
        yield from check_task_name(name)
        yield from check_precomputed(name, t, is_demo(cfg, name))
        if t.layout == "table":
            yield from check_table_layout(cfg, name, t, is_demo(cfg, name))
        else:
            yield from check_layout(name, t)
        yield from check_targets(name, t)
        if is_demo(cfg, name):
            yield from check_demo_task(cfg, name, t)
        elif t.layout != "table":
            yield from check_task_paths(name, t)


def check_layout(name: str, t: Task) -> Iterator[Problem]:
    """The keys a MuSe layout (humor, mimic) reads."""
    key = f"tasks.{name}"
    if t.partition_file is None:
        yield Problem(f"{key}.partition_file", f"the {t.layout} layout needs 'partition_file'", LAYOUT_DOC)
    if t.table is not None:
        yield Problem(f"{key}.table", f"is read only by the table layout (this task's layout is {t.layout})",
                      LAYOUT_DOC)
    label_key = "label_dir" if t.layout == "humor" else "label_file"
    if getattr(t, label_key) is None:
        yield Problem(f"{key}.{label_key}", f"the {t.layout} layout needs '{label_key}'", LAYOUT_DOC)
    if t.layout == "humor" and len(t.targets) != 1:
        yield Problem(f"{key}.targets", f"the humor layout has exactly one target, got {t.targets}", LAYOUT_DOC)
    if t.csv_features() and t.feature_dir is None:
        yield Problem(f"{key}.feature_dir", f"needed by the CSV features {t.csv_features()} (features with an "
                                            f"encoder `source:` come from raw media and need none)", LAYOUT_DOC)


def check_task_paths(name: str, t: Task) -> Iterator[Problem]:
    for key in ("partition_file", "label_dir", "label_file", "feature_dir"):
        path = getattr(t, key)
        if path is not None and not Path(path).exists():
            yield Problem(f"tasks.{name}.{key}", f"{path} does not exist", LAYOUT_DOC)
    for key, template in t.media.model_dump(exclude={"fau_fps", "transcript_columns"}).items():
        if template and "{" in template:
            folder = Path(template.split("{")[0]).parent
            if not folder.exists():
                yield Problem(f"tasks.{name}.media.{key}", f"folder {folder} of {template} does not exist", RAW_DOC)
    if t.feature_dir and Path(t.feature_dir).is_dir():
        for feature in t.csv_features():
            if not (Path(t.feature_dir) / feature).is_dir():
                yield Problem(f"tasks.{name}.features.{feature}",
                              f"feature folder {Path(t.feature_dir) / feature} does not exist", LAYOUT_DOC)


# -------------------------------------------------------------------------------------- encoders
def check_encoders(cfg: Config) -> Iterator[Problem]:
    from .encoders import check_encoder_model

    used = set()
    for name, t in cfg.tasks.items():
        for feature in t.raw_features():
            key, src = f"tasks.{name}.features.{feature}.source", t.features[feature].source
            enc = cfg.encoders.get(src)
            if enc is None:
                yield Problem(key, f"'{src}' is not an encoder in `encoders` ({sorted(cfg.encoders)}) nor 'csv'",
                              RAW_DOC)
                continue
            if enc.kind == "translation":
                yield Problem(key, f"'{src}' translates; use a text encoder with `translate: {src}`", RAW_DOC)
                continue
            used.add(src)
            if enc.translate:
                used.add(enc.translate)
            for media_key in MEDIA_KEYS[enc.kind] if t.layout != "table" else ():  # (a table: its rows)
                template = getattr(t.media, media_key)
                if template is None:
                    if media_key != "face_boxes":
                        yield Problem(f"tasks.{name}.media.{media_key}", f"a path template is needed by feature "
                                                                         f"'{feature}' ({enc.kind})", RAW_DOC)
                    continue
                try:
                    template.format(subject="subject", video="video")
                except (KeyError, IndexError, ValueError) as exc:
                    yield Problem(f"tasks.{name}.media.{media_key}",
                                  f"'{template}' is not a path template with only {{subject}} and {{video}} "
                                  f"({type(exc).__name__}: {exc})", RAW_DOC)
    for src in sorted(used):
        enc = cfg.encoders.get(src)
        if enc is None:
            yield Problem(f"encoders.{src}", "is named by `translate` but not defined", RAW_DOC)
            continue
        if enc.translate and cfg.encoders.get(enc.translate, None) is not None \
                and cfg.encoders[enc.translate].kind != "translation":
            yield Problem(f"encoders.{src}.translate", f"'{enc.translate}' is not an encoder of kind translation",
                          RAW_DOC)
        yield from check_encoder_model(cfg, src, enc)


def shard_units(cfg: Config, task: str, feature: str) -> tuple[int, str] | None:
    """What a feature's extraction shards share out and how many: the videos of a MuSe layout (the demo's from its
    sizes; the user's from the partition and label files), a sample table's media files (text: its rows). None where
    they cannot be counted before the data exists (a demo table) or read (the path checks report that)."""
    t = cfg.tasks[task]
    if t.layout == "table":
        if is_demo(cfg, task):
            return None
        from ..errors import InputError
        from ..samples import TABLE_NEEDS, list_samples, table_units  # pandas: only where shards are asked for
        from ..steps.store import spec as store_spec
        kind = cfg.encoders[t.features[feature].source].kind
        try:
            units = table_units(list_samples(store_spec(cfg, task), TABLE_NEEDS.get(kind, ())), kind)
        except (InputError, OSError, KeyError, ValueError):
            return None
        return len(units), "rows" if kind == "text" else "media files"
    if is_demo(cfg, task):
        spec = getattr(cfg.demo, task).model_dump()
        return len(demo_files.humor_videos(spec) if t.layout == "humor" else demo_files.mimic_videos(spec)), "videos"
    from ..errors import InputError
    from ..samples import list_videos  # pandas: only for the user's raw-media tasks
    from ..steps.store import spec as store_spec
    try:
        return len(list_videos(store_spec(cfg, task))), "videos"
    except (InputError, OSError):
        return None


def check_shards(cfg: Config) -> Iterator[Problem]:
    """More extraction shards than what they share out would leave a shard with nothing to extract."""
    for name, t in cfg.tasks.items():
        for feature in t.raw_features():
            n = t.features[feature].shards or cfg.extraction.shards
            units = shard_units(cfg, name, feature) if n > 1 else None
            if units is not None and n > units[0]:
                key = (f"tasks.{name}.features.{feature}.shards" if t.features[feature].shards
                       else "extraction.shards")
                yield Problem(key, f"{n} shards for the {units[0]} {units[1]} of tasks.{name}: at most {units[0]}",
                              RAW_DOC)


# ------------------------------------------------------------------------------ fusion, finetune
def check_fusion(cfg: Config) -> Iterator[Problem]:
    for task, combos in cfg.fusion.combinations.items():
        if task not in cfg.tasks:
            yield Problem(f"fusion.combinations.{task}", "no such task in tasks")
            continue
        for combo in combos:
            for member in combo:
                feature, _, variant = member.partition(":")
                if feature not in cfg.tasks[task].features:
                    yield Problem(f"fusion.combinations.{task}", f"'{member}' names feature '{feature}', not one of "
                                                                 f"{list(cfg.tasks[task].features)}")
                if variant and variant != "full" and variant not in cfg.selection.thresholds:
                    yield Problem(f"fusion.combinations.{task}", f"'{member}' names variant '{variant}'; use full or "
                                                                 f"one of {cfg.selection.thresholds}")
    for task, features in cfg.fau_features.items():
        for feature in features:
            if task not in cfg.tasks or feature not in cfg.tasks[task].features:
                yield Problem(f"fau_features.{task}", f"'{feature}' is not a feature of task '{task}'")


def check_finetune(cfg: Config) -> Iterator[Problem]:
    for task, f in cfg.finetune.items():
        key = f"finetune.{task}"
        if task not in cfg.tasks or cfg.tasks[task].layout != "mimic":
            yield Problem(key, "fine-tuning needs a task with the mimic layout (one audio file per video)")
            continue
        if cfg.tasks[task].type != "regression":
            yield Problem(key, f"fine-tuning trains with the batch-level Pearson loss: it needs regression targets, "
                               f"not {cfg.tasks[task].type}", TARGETS_DOC)
        for variant in f.variants:
            if variant == "full":
                continue
            if variant not in cfg.selection.thresholds:
                yield Problem(f"{key}.variants", f"'{variant}' is neither full nor one of {cfg.selection.thresholds}")
            if f.selection_feature not in cfg.tasks[task].features:
                yield Problem(f"{key}.selection_feature", f"must be one of {list(cfg.tasks[task].features)} for "
                                                          f"variant '{variant}' (the feature whose selection picks "
                                                          f"the kept hidden dimensions)")
        if f.demo is not None and not is_demo(cfg, task):
            yield Problem(f"{key}.demo", f"needs demo.{task} (the demo audio follows the demo's videos and labels)")
        dim = demo_dim(cfg, task, f.selection_feature) if f.selection_feature else None
        if f.demo is not None and dim is not None and set(f.variants) != {"full"} and dim != f.demo.hidden_size:
            yield Problem(f"{key}.demo.hidden_size", f"{f.demo.hidden_size}, but the selection of "
                                                     f"{f.selection_feature} picks from {dim} dimensions: the "
                                                     f"sub-space head needs the model's hidden size to be {dim}")
        if f.demo is None:
            for sub in ("model", "audio_dir"):
                if not Path(getattr(f, sub)).is_dir():
                    yield Problem(f"{key}.{sub}", f"folder {getattr(f, sub)} does not exist")
        if f.seeds is None and not cfg.seeds:
            yield Problem(f"{key}.seeds", "no seeds")


# ------------------------------------------------------------------------------------ evaluation
def check_evaluation(cfg: Config) -> Iterator[Problem]:
    ev = cfg.evaluation
    if cfg.selection.ranking == "auto" and not (ev and any(ev.features.values())):
        yield Problem("selection.ranking", "`auto` chooses among the rankings of the top-k sweep, but no feature has "
                                           "one: set evaluation.features (or use `ig`)", EVAL_DOC)
    if ev is None:
        return
    chosen = {"features": ev.features, "stability": ev.stability if isinstance(ev.stability, dict) else {}}
    for key, by_task in chosen.items():
        for task, feats in by_task.items():
            if task not in cfg.tasks:
                yield Problem(f"evaluation.{key}.{task}", f"no such task (tasks: {list(cfg.tasks)})", EVAL_DOC)
                continue
            missing = set(feats) - set(cfg.tasks[task].features)
            if missing:
                yield Problem(f"evaluation.{key}.{task}", f"{sorted(missing)} are not features of tasks.{task}",
                              EVAL_DOC)
    for key in ("removal", "control"):
        for task, feats in (getattr(ev, key) if isinstance(getattr(ev, key), dict) else {}).items():
            unswept = set(feats) - set(ev.features.get(task, []))
            if unswept:
                yield Problem(f"evaluation.{key}.{task}", f"{sorted(unswept)} have no top-k sweep: add them to "
                                                          f"evaluation.features.{task}", EVAL_DOC)
    if ev.seeds > len(cfg.seeds):
        yield Problem("evaluation.seeds", f"{ev.seeds} is more than the {len(cfg.seeds)} seeds", EVAL_DOC)
    if ev.stability and len(cfg.seeds) < 2:
        yield Problem("evaluation.stability", "needs at least 2 seeds to compare", EVAL_DOC)
    for i, pair in enumerate(ev.cross_task):
        members = [tuple(m.split(":", 1)) for m in pair]
        bad = [m for m, (t, f) in zip(pair, members) if t not in cfg.tasks or f not in cfg.tasks[t].features]
        for member in bad:
            yield Problem("evaluation.cross_task", f"[{i}]: '{member}' is not task:feature of a configured task",
                          EVAL_DOC)
        if bad:
            continue
        if members[0] == members[1]:
            yield Problem("evaluation.cross_task", f"[{i}]: compares {pair[0]} with itself", EVAL_DOC)
        dims = [demo_dim(cfg, t, f) for t, f in members]
        if None not in dims and dims[0] != dims[1]:
            yield Problem("evaluation.cross_task", f"[{i}]: {pair[0]} has {dims[0]} dimensions but {pair[1]} has "
                                                   f"{dims[1]}: pair features of the same encoder", EVAL_DOC)
    for task, feats in ev.features.items():
        for feature in feats:
            dim = demo_dim(cfg, task, feature)
            too_many = [k for k in ev.k if isinstance(k, int) and dim is not None and k > dim]
            if too_many:
                yield Problem("evaluation.k", f"{too_many} are more than the {dim} dimensions of {task}:{feature}",
                              EVAL_DOC)
