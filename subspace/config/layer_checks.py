"""Cross-field checks of a feature's `layers` (layers as features: docs/evaluation.md#layers)."""
from __future__ import annotations

from typing import Iterator

from .layers import COPY, layer_features
from .model import Config
from .problems import Problem

LAYERS_DOC = "docs/evaluation.md#layers"
LAYER_KINDS = ("audio", "text", "video")


def check_layers(cfg: Config) -> Iterator[Problem]:
    for name, t in cfg.tasks.items():
        for feature, hp in t.features.items():
            if hp.concat_layers and not hp.layers:
                yield Problem(f"tasks.{name}.features.{feature}.concat_layers", "needs `layers` (the layers to put "
                                                                               "side by side)", LAYERS_DOC)
        for family, _, feature in layer_features(t.features):
            hp, key = t.features[family], f"tasks.{name}.features.{family}.layers"
            encoder = cfg.encoders.get(hp.source)
            if encoder is None or encoder.kind not in LAYER_KINDS:
                yield Problem(key, f"only features extracted by an encoder of kind {'/'.join(LAYER_KINDS)} have "
                                   f"layers (source: '{hp.source}')", LAYERS_DOC)
                continue
            if isinstance(encoder.layer, int) and encoder.layer >= 0 and encoder.layer in hp.layers:
                yield Problem(key, f"layer {encoder.layer} is the feature's own (encoders.{hp.source}.layer): "
                                   f"list only the other layers", LAYERS_DOC)
            if t.features[feature] != hp.model_copy(update=COPY):
                yield Problem(f"tasks.{name}.features.{feature}", f"this name is the feature that "
                                                                  f"{family}'s `layers` adds: rename one", LAYERS_DOC)
