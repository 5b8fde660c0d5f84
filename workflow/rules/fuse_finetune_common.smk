# Input functions and config checks of fuse.smk and finetune.smk (late fusion, FAU figure, fine-tuning).
from subspace.fuse import Member  # noqa: E402

FUSION = config.get("fusion", {})
FUSION_METHODS = FUSION.get("methods", ["mean"])
FAU_FEATURES = config.get("fau_features", {})


def fusion_members(task):
    """'feature:variant' -> its seeds' metrics.json, for every member of the task's combinations."""
    members = {}
    for combo in FUSION.get("combinations", {}).get(task, []):
        for text in combo:
            m = Member.parse(text)
            if m.feature not in features(task):
                fail(f"fusion.combinations.{task}: '{text}' names feature '{m.feature}', not one of {features(task)}")
            if m.variant not in ["full"] + THRESHOLDS:
                fail(f"fusion.combinations.{task}: '{text}' names variant '{m.variant}'; use full or one of "
                     f"{THRESHOLDS}")
            members[str(m)] = seed_metrics(task, m.feature, m.variant)
    return members


def fusion_spec(task):
    return {"task_type": task_cfg(task)["type"], "targets": task_cfg(task)["targets"],
            "combinations": FUSION["combinations"][task], "methods": FUSION_METHODS,
            "members": fusion_members(task)}


def fusion_inputs(wildcards):
    files = [p for paths in fusion_members(wildcards.task).values() for p in paths]
    return files + [str(Path(p).parent / "predictions.csv") for p in files]


def fusion_outputs():
    out = []
    for task in FUSION.get("combinations", {}):
        if task not in TASKS:
            fail(f"fusion.combinations.{task}: no such task in tasks")
        fusion_members(task)  # validate now, before any job runs
        out += [f"{RESULTS}/{task}/tables/fusion.{ext}" for ext in ("csv", "md")]
    return out


def fau_paths(task, feature):
    return [f"{RESULTS}/{task}/figures/fau_{feature}.{ext}" for ext in ("png", "pdf")]


def fau_outputs():
    out = []
    for task, feats in FAU_FEATURES.items():
        for feature in feats:
            if task not in TASKS or feature not in features(task):
                fail(f"fau_features.{task}: '{feature}' is not a feature of task '{task}'")
            out += fau_paths(task, feature)
    return out


FINETUNE = config.get("finetune", {})


def ft_cfg(task):
    return FINETUNE[task]


def ft_seeds(task):
    return ft_cfg(task).get("seeds", SEEDS[:1])


def ft_demo_files(task):
    """Demo audio (one WAV per demo video) and the tiny model's files, when `finetune.<task>.demo` is set."""
    c = ft_cfg(task)
    videos = [v for v, _ in demo_data.mimic_videos(DEMO[task])]
    model = [f"{c['model']}/{name}" for name in ("config.json", "model.safetensors", "preprocessor_config.json")]
    return [f"{c['audio_dir']}/{v}.wav" for v in videos], model


def ft_audio(task):
    c = ft_cfg(task)
    if "demo" in c:
        return ft_demo_files(task)[0]
    return sorted(str(p) for p in Path(c["audio_dir"]).glob("*.wav"))


def ft_model_files(task):
    c = ft_cfg(task)
    if "demo" in c:
        return ft_demo_files(task)[1]
    return sorted(str(p) for p in Path(c["model"]).iterdir() if p.is_file())


def check_finetune_config():
    for task, c in FINETUNE.items():
        if task not in TASKS or task_cfg(task)["layout"] != "mimic":
            fail(f"finetune.{task}: fine-tuning needs a task with the mimic layout (one audio file per video)")
        for variant in c.get("variants", ["full"]):
            if variant != "full":
                if variant not in THRESHOLDS:
                    fail(f"finetune.{task}.variants: '{variant}' is neither full nor one of {THRESHOLDS}")
                if c.get("selection_feature") not in features(task):
                    fail(f"finetune.{task}.selection_feature must be one of {features(task)} for variant "
                         f"'{variant}' (the feature whose selection picks the kept hidden dimensions)")
        if "demo" in c and task not in DEMO:
            fail(f"finetune.{task}.demo needs demo.{task} (the demo audio follows the demo's videos and labels)")
        if "demo" not in c:
            for key in ("model", "audio_dir"):
                if not Path(c[key]).is_dir():
                    fail(f"finetune.{task}.{key}: folder {c[key]} does not exist")


check_finetune_config()


def finetune_spec(task):
    c, t = ft_cfg(task), task_cfg(task)
    keys = ("batch_size", "max_epochs", "lr", "head_dim", "freeze_feature_encoder", "max_seconds", "device")
    return {"model": c["model"], "audio_dir": c["audio_dir"], "partition_file": t["partition_file"],
            "label_file": t["label_file"], "targets": t["targets"],
            "train": {k: c[k] for k in keys if k in c}}


def finetune_dir(task, variant, seed):
    return f"{RESULTS}/{task}/finetune/{variant}/seed{seed}"


def finetune_outputs():
    out = []
    for task, c in FINETUNE.items():
        for variant in c.get("variants", ["full"]):
            for seed in ft_seeds(task):
                d = finetune_dir(task, variant, seed)
                out += [f"{d}/metrics.json", f"{d}/loss_curve.png"]
    return out


def finetune_selection(wildcards):
    if wildcards.variant == "full":
        return []
    feature = ft_cfg(wildcards.task)["selection_feature"]
    return selection_path(wildcards.task, feature, wildcards.variant)
