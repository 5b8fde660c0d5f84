"""A fingerprint of the user's data files, recorded by the rules that read them (a ``params`` entry), so that a
changed label, partition, feature, media or model file reruns what depends on it even when the change left
an older modification time (``cp -p``, ``rsync -t``, an unpacked older release), which Snakemake's
modification-time check does not see.

Small files (labels, partitions, configs, model configs: up to ``CONTENT_LIMIT``) count by their content;
larger ones (feature CSVs, media, weights: thousands of files, gigabytes) by size and modification time in
nanoseconds, which any rewrite changes, also one that sets an older time. Only stat and small reads: cheap
enough for every DAG build.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

CONTENT_LIMIT = 64 << 10  # bytes


def entries(path: Path):
    """A file itself, or every file under a folder (sorted)."""
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.is_file())
    return [path]


def fingerprint(paths) -> str:
    """A short hash of the files (or folders) named; a missing one counts as missing."""
    digest = hashlib.sha256()
    for top in sorted({str(p) for p in paths}):
        for path in entries(Path(top)):
            digest.update(str(path).encode() + b"\0")
            try:
                st = os.stat(path)
            except OSError:
                digest.update(b"missing\0")
                continue
            if st.st_size <= CONTENT_LIMIT:
                digest.update(path.read_bytes())
            else:
                digest.update(f"{st.st_size}:{st.st_mtime_ns}".encode())
            digest.update(b"\0")
    return digest.hexdigest()[:16]
