"""File and folder names as the readers compare them with ids.

Ids (from the CSVs) and names (from folders) are compared in Unicode NFC: macOS writes names decomposed
('e' + combining accent), most editors write ids composed ('é'), and the two look the same. Files an
operating system leaves beside data files (``._*`` AppleDouble files, ``.DS_Store``, ``Thumbs.db``, any
dot-file) are skipped with a logged note wherever a reader lists a folder.
"""
from __future__ import annotations

import logging
from pathlib import Path

from .csvfile import nfc
from .errors import InputError

log = logging.getLogger(__name__)

SYSTEM_FILES = {"thumbs.db", "ehthumbs.db", "desktop.ini"}


def is_hidden(name: str) -> bool:
    """Dot-files (``._x.csv``, ``.DS_Store``) and the files Windows writes beside images."""
    return name.startswith(".") or name.lower() in SYSTEM_FILES


def entries(folder: Path, suffix: str | None = None, folders: bool = False) -> dict[str, Path]:
    """The folder's files ending in ``suffix`` (or its sub-folders), by their NFC name without the suffix.

    Hidden files are skipped with a logged note; two entries whose names are equal after NFC
    normalisation are an error (which one is meant?).
    """
    folder = Path(folder)
    out: dict[str, Path] = {}
    hidden = []
    try:
        listing = sorted(folder.iterdir())
    except OSError:
        return out
    for path in listing:
        if is_hidden(path.name):
            hidden.append(path.name)
            continue
        if folders != path.is_dir() or (suffix and path.suffix != suffix):
            continue
        key = nfc(path.stem if suffix else path.name)
        if key in out:
            raise InputError(folder, f"{ascii(out[key].name)} and {ascii(path.name)} are the same name in different "
                                     f"Unicode normalisations (an accent composed or decomposed, which look the "
                                     f"same): which one is meant? Rename or remove one")
        out[key] = path
    if hidden:
        log.info("%s: skipped %d hidden files left by the operating system (%s)", folder, len(hidden),
                 ", ".join(hidden[:3]) + (" …" if len(hidden) > 3 else ""))
    return out


def resolve(path: Path) -> Path:
    """``path`` itself when it exists, else the path whose components equal its own after NFC normalisation
    (an id from a CSV may be composed where the file name on disk is decomposed); else ``path`` unchanged,
    so that the caller's 'does not exist' names what was asked for."""
    path = Path(path)
    if path.exists():
        return path
    found, parts = (Path(path.anchor), path.parts[1:]) if path.is_absolute() else (Path(), path.parts)
    for part in parts:
        candidate = found / part
        if not candidate.exists():
            same = [p for p in _listing(found) if nfc(p.name) == nfc(part)]
            if len(same) != 1:
                return path
            candidate = same[0]
        found = candidate
    return found


def _listing(folder: Path) -> list[Path]:
    try:
        return list(folder.iterdir())
    except OSError:
        return []
