"""A config problem (the dotted key, what is wrong, where the docs explain it) and the docs the checks point to."""
from __future__ import annotations

from dataclasses import dataclass

KEYS_DOC = "config/README.md#keys"
LAYOUT_DOC = "config/README.md#layouts"
RAW_DOC = "config/README.md#raw-media"
DEMO_DOC = "config/README.md#demo"
EVAL_DOC = "docs/evaluation.md"
TABLE_DOC = "docs/your-corpus.md"


@dataclass(frozen=True)
class Problem:
    key: str        # dotted config key, e.g. tasks.humor.partition_file
    message: str
    doc: str = KEYS_DOC
