"""Layers as features: a raw-media feature's `layers` add features `<feature>-L<k>` to its task (the typed
:class:`~.model.Task` calls these after validation; docs/evaluation.md#layers)."""
from __future__ import annotations


CONCAT = "cat"  # `<family>-Lcat`: every layer of the family side by side (`concat_layers`)
COPY = {"layers": None, "concat_layers": False, "paper": None}  # what a layer feature does not inherit


def layer_features(features: dict) -> list[tuple[str, int | None, str]]:
    """(family, block, name) of every feature that a feature's `layers` adds: `<family>-L<k>` is block 1, 2, ...
    of its family's extraction (block 0 is the family itself: the encoder's `layer`); `<family>-Lcat`
    (`concat_layers`) is every block (None)."""
    out = []
    for family, hp in features.items():
        if hp.layers:
            out += [(family, i, f"{family}-L{k}") for i, k in enumerate(hp.layers, 1)]
            out += [(family, None, f"{family}-L{CONCAT}")] if hp.concat_layers else []
    return out


def with_layer_features(features: dict) -> dict:
    """``features`` with each added layer feature after its family: a copy of the family's settings without
    `layers` and `paper` (a name the user took already stays theirs: the config checks report it)."""
    added = layer_features(features)
    if not added:
        return features
    out = {}
    for name, hp in features.items():
        out[name] = hp
        for family, _, feature in added:
            if family == name and feature not in features:
                out[feature] = hp.model_copy(update=COPY)
    out.update({n: hp for n, hp in features.items() if n not in out})
    return out


def layer_family(features: dict, feature: str) -> tuple[str, int, int]:
    """(family, block, blocks) of a feature: a family's extraction holds ``blocks`` layers side by side (the
    encoder's `layer` first, then `layers`) and ``feature`` is block ``block`` (None: all of them, `<family>-Lcat`);
    a plain feature: (itself, 0, 1)."""
    for family, block, name in layer_features(features):
        if name == feature or (family == feature and block == 1):
            return family, (block if name == feature else 0), 1 + len(features[family].layers)
    return feature, 0, 1
