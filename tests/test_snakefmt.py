"""Catalog convention: the Snakefiles are snakefmt-formatted (settings in pyproject.toml, [tool.snakefmt]).

This is THE formatting check: if it fails, run `snakefmt Snakefile workflow/` and commit the result on its own.
"""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_snakefiles_are_snakefmt_clean():
    snakefmt = Path(sys.executable).parent / "snakefmt"
    proc = subprocess.run([str(snakefmt), "--check", "--diff", "Snakefile", "workflow/"], cwd=ROOT,
                          capture_output=True, text=True)
    assert proc.returncode == 0, f"run `snakefmt Snakefile workflow/`:\n{proc.stdout[-4000:]}\n{proc.stderr[-2000:]}"
