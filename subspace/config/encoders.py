"""Checks of an encoder's model folder against its settings, before any job: the folder and its files
(:mod:`subspace.modelfolder`, no torch), the layer index and the token limit against the model's config."""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

from ..errors import InputError
from .checks import RAW_DOC, Problem
from .model import Config, Encoder

# models whose position ids start after the padding index: two positions fewer for tokens
POSITION_OFFSET = {"roberta": 2, "xlm-roberta": 2}


def is_tiny(cfg: Config, folder: str) -> bool:
    """A tiny demo model, built by the `tiny_model` rule (the folder comes later)."""
    return cfg.demo is not None and any(str(Path(folder)) == str(Path(cfg.demo.root, "models", kind))
                                        for kind in cfg.demo.tiny_models)


def check_encoder_model(cfg: Config, name: str, enc: Encoder) -> Iterator[Problem]:
    from ..modelfolder import MODEL_HELP, check_model_folder, model_config

    key = f"encoders.{name}"
    if enc.kind == "audio" and enc.pool_ms and round(enc.chunk_s * 1000) % enc.pool_ms:
        yield Problem(f"{key}.chunk_s", f"{round(enc.chunk_s * 1000)} ms must be a multiple of pool_ms "
                                        f"({enc.pool_ms} ms)", RAW_DOC)
    if enc.kind == "fau":
        return
    if enc.model is None:
        yield Problem(f"{key}.model", f"a {enc.kind} encoder needs a model folder", RAW_DOC)
        return
    if is_tiny(cfg, enc.model):
        return
    if not Path(enc.model).is_dir():
        yield Problem(f"{key}.model", f"model folder {enc.model} does not exist. {MODEL_HELP[0].upper()}"
                                      f"{MODEL_HELP[1:]}", RAW_DOC)
        return
    try:
        check_model_folder(enc.model, enc.kind)
        model_cfg = model_config(enc.model, enc.kind)
    except InputError as exc:
        yield Problem(f"{key}.model", str(exc), RAW_DOC)
        return
    yield from check_against_model(key, enc, model_cfg)


def check_against_model(key: str, enc: Encoder, model_cfg: dict) -> Iterator[Problem]:
    """The layer and the token limit against what the model has (config.json)."""
    layers = model_cfg.get("num_hidden_layers") or model_cfg.get("encoder_layers")
    if isinstance(enc.layer, int) and layers and enc.kind != "translation" and not -(layers + 1) <= enc.layer <= layers:
        yield Problem(f"{key}.layer", f"layer {enc.layer} does not exist: the model has {layers} layers "
                                      f"(0 = embeddings, 1..{layers}, or -1 = the last)", RAW_DOC)
    positions = model_cfg.get("max_position_embeddings")
    if enc.kind in ("text", "translation") and positions:
        usable = positions - POSITION_OFFSET.get(model_cfg.get("model_type"), 0)
        if enc.token_limit() > usable:
            yield Problem(f"{key}.max_length", f"{enc.token_limit()} tokens, but the model has "
                                               f"{usable} positions: set max_length to at most {usable}", RAW_DOC)
