# Input functions of extract.smk. Raw media -> embeddings: per-feature encoders (config `encoders`, a feature's `source:`), sharded
# by video (shard k takes every n-th video), merged into the same HDF5 store the CSV `store` rule
# writes. German transcripts can be translated (FSMT) first; the demo builds tiny models offline.
from functools import lru_cache

from subspace import media as raw_media  # noqa: E402
from subspace.errors import InputError  # noqa: E402

ENCODERS = config.get("encoders", {})
EXTRACTION = config.get("extraction", {})
TINY = DEMO.get("tiny_models", {})


def raw_features(task):
    return [f for f, hp in task_cfg(task)["features"].items() if hp.get("source", "csv") != "csv"]


def encoder_of(task, feature):
    name = task_cfg(task)["features"][feature]["source"]
    return dict(ENCODERS[name], name=name)


def n_shards(task, feature):
    return int(task_cfg(task)["features"][feature].get("shards", EXTRACTION.get("shards", 1)))


def shard_ids(task, feature):
    n = n_shards(task, feature)
    return [f"{k}-of-{n}" for k in range(n)]


@lru_cache(maxsize=None)
def task_videos(task):
    """(subject, video) pairs in store order; for the demo from its spec (the files come later)."""
    if task in DEMO:
        spec = DEMO[task]
        if task_cfg(task)["layout"] == "humor":
            return tuple((c, f"{c}_v{v:02d}") for c, _ in demo_data.humor_subjects(spec)
                         for v in range(spec["videos_per_coach"]))
        return tuple((v, v) for v, _ in demo_data.mimic_videos(spec))
    try:
        return tuple(raw_media.list_videos(store_spec(task)))
    except InputError as exc:
        fail(f"tasks.{task}: {exc}")


def extract_spec(task, feature):
    spec = store_spec(task)
    spec["encoder"] = encoder_of(task, feature)
    return spec


def model_input(enc):
    """The model folder as an input: built by `tiny_model` in the demo, else it must exist."""
    return [enc["model"]] if enc.get("model") else []


def shard_media(task, feature, shard, keys):
    spec = store_spec(task)
    k, n = (int(x) for x in shard.split("-of-"))
    vids = raw_media.shard_videos(list(task_videos(task)), k, n)
    media_cfg = spec.get("media", {})
    return [str(raw_media.media_path(spec, key, s, v)) for key in keys if media_cfg.get(key) for s, v in vids]


def translated_dir(task, feature, shard):
    return f"{RESULTS}/{task}/translated/{feature}/{shard}"


def extract_inputs(wildcards):
    task, feature, shard = wildcards.task, wildcards.feature, wildcards.shard
    enc = encoder_of(task, feature)
    keys = {"audio": ["audio"], "video": ["video", "face_boxes"], "fau": ["fau"], "text": ["transcript"]}[enc["kind"]]
    inputs = {"labels": label_inputs(task), "model": model_input(enc)}
    if enc.get("translate"):
        inputs["transcripts"] = translated_dir(task, feature, shard)
        inputs["translator"] = model_input(ENCODERS[enc["translate"]])
    else:
        inputs["media"] = shard_media(task, feature, shard, keys)
    return inputs


def label_inputs(task):
    if task in DEMO:
        files = demo_files(task)
        return files["partition"] + files["labels"]
    t = task_cfg(task)
    if t["layout"] == "humor":
        return [t["partition_file"]] + sorted(str(p) for p in Path(t["label_dir"]).glob("*/*.csv"))
    return [t["partition_file"], t["label_file"]]


def check_extraction_config():
    raw = {f for t in TASKS for f in raw_features(t)}
    both = raw & {f for t in TASKS for f in csv_features(t)}
    if both:
        fail(f"features {sorted(both)} are raw-media features in one task and CSV features in another: rename one")
    for task in TASKS:
        if task in DEMO and raw_features(task) and "raw" not in DEMO[task]:
            fail(f"tasks.{task}: raw-media features {raw_features(task)} need demo.{task}.raw "
                 "(only the Humor demo writes raw media)")
        for feature in raw_features(task):
            src = task_cfg(task)["features"][feature]["source"]
            if src not in ENCODERS:
                fail(f"tasks.{task}.features.{feature}.source: '{src}' is not an encoder in `encoders` "
                     f"({sorted(ENCODERS)}) nor 'csv'")
            enc = ENCODERS[src]
            if enc["kind"] == "translation":
                fail(f"tasks.{task}.features.{feature}.source: '{src}' translates; use a text encoder "
                     f"with `translate: {src}`")
            if enc.get("translate") and ENCODERS.get(enc["translate"], {}).get("kind") != "translation":
                fail(f"encoders.{src}.translate: '{enc['translate']}' is not an encoder of kind translation")
            need = {"audio": "audio", "video": "video", "fau": "fau", "text": "transcript"}[enc["kind"]]
            if not task_cfg(task).get("media", {}).get(need):
                fail(f"tasks.{task}.media.{need}: a path template is needed by feature '{feature}' ({enc['kind']})")
            for key in (need, "face_boxes") if enc["kind"] == "video" else (need,):
                if task_cfg(task)["media"].get(key):
                    try:
                        raw_media.media_path(task_cfg(task), key, "subject", "video")
                    except InputError as exc:
                        fail(exc.problem.replace("<task>", task))
            if n_shards(task, feature) > len(task_videos(task)):
                fail(f"tasks.{task}.features.{feature}: {n_shards(task, feature)} shards for "
                     f"{len(task_videos(task))} videos")
            for name in [src] + ([enc["translate"]] if enc.get("translate") else []):
                model = ENCODERS[name].get("model")
                if model and not is_tiny(model):
                    if not Path(model).is_dir():
                        fail(f"encoders.{name}.model: model folder {model} does not exist. {embed_help()}")
                    check_model(name, model, ENCODERS[name]["kind"])


@lru_cache(maxsize=None)
def check_model(name, folder, kind):
    """A model folder's config, weights and tokenizer/preprocessor files read, before any job runs."""
    from subspace.embed import check_model_folder
    try:
        check_model_folder(folder, kind)
    except InputError as exc:
        fail(f"encoders.{name}.model: {exc}")


def embed_help():
    from subspace.embed import MODEL_HELP
    return MODEL_HELP[0].upper() + MODEL_HELP[1:]


def is_tiny(path):
    return any(str(Path(path)) == str(Path(DEMO_ROOT, "models", kind)) for kind in TINY)


check_extraction_config()


def gpu_resources():
    return int(EXTRACTION.get("gpu", 1))
