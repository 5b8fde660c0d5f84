"""Which device a job computes on, and one GPU of its own per running job on a multi-GPU box.

Snakemake's ``--resources gpu=N`` only limits how many GPU jobs run at once; it does not tell a
local job *which* GPU to use, so without help every job would compute on ``cuda:0``.
:func:`claim_gpu` gives each job one: it takes an exclusive ``fcntl.flock`` on one of N slot
files (one per GPU) and sets ``CUDA_VISIBLE_DEVICES`` to that GPU before torch initialises CUDA.
The lock belongs to the process and is released by the kernel when it exits (also on a crash), so
a slot is never left taken. With at most N GPU jobs at once (``--resources gpu=N``), a free slot
always exists; more GPU jobs than GPUs wait for one.

It changes nothing where a scheduler already chose the GPU (a SLURM job: ``SLURM_JOB_ID``; or
``CUDA_VISIBLE_DEVICES`` naming a single device), where the job runs on the CPU, or where the box
has no GPU. The pool of GPUs is ``SUBSPACE_GPUS`` (e.g. ``0,1,2,3``) where set, else the devices
``CUDA_VISIBLE_DEVICES`` lists (when it lists several: the user's share of the box), else every
``/dev/nvidiaN`` device. The slot files are in ``SUBSPACE_GPU_SLOTS`` (default
``.snakemake/gpu-slots`` in the working directory, i.e. shared by the jobs of one workflow
directory; point several workflow directories at one folder to share a box between them).
"""
from __future__ import annotations

import fcntl
import logging
import os
import re
import sys
import time
from pathlib import Path

log = logging.getLogger(__name__)

SLOT_DIR = ".snakemake/gpu-slots"
SCHEDULER_VARS = ("SLURM_JOB_ID",)
_held: list = []  # open slot files: the lock lives as long as the file object (i.e. the process)


def resolve_device(want: str = "auto"):
    """``auto`` (CUDA when available, else the CPU), ``cpu``, ``cuda`` or ``cuda:<index>`` -> a torch.device."""
    import torch
    text = str(want).strip().lower()
    if text == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if not re.fullmatch(r"cpu|cuda(:\d+)?", text):
        raise ValueError(f"device '{want}' is not one of auto, cpu, cuda, cuda:<index>")
    if text.startswith("cuda"):
        if not torch.cuda.is_available():
            raise ValueError(f"device '{want}' asked for, but torch sees no CUDA device (use auto or cpu)")
        index = int(text.split(":")[1]) if ":" in text else 0
        if index >= torch.cuda.device_count():
            raise ValueError(f"device '{want}' asked for, but torch sees {torch.cuda.device_count()} CUDA devices")
    return torch.device(text)


def gpu_pool(env=None) -> list[str]:
    """The physical GPU ids jobs may claim (see the module docstring); [] where there is none."""
    env = os.environ if env is None else env
    if env.get("SUBSPACE_GPUS", "").strip():
        return [g.strip() for g in env["SUBSPACE_GPUS"].split(",") if g.strip()]
    visible = env.get("CUDA_VISIBLE_DEVICES")
    if visible is not None:
        return [g.strip() for g in visible.split(",") if g.strip()]
    return sorted((p.name[len("nvidia"):] for p in Path("/dev").glob("nvidia*") if re.fullmatch(r"nvidia\d+", p.name)),
                  key=int)


def claim_gpu(want: str = "auto", slot_dir=None, poll_s: float = 0.5) -> str | None:
    """Give this process one GPU of the pool of its own (sets ``CUDA_VISIBLE_DEVICES``); returns its id.

    Call it at the start of a job, before anything initialises CUDA. Returns None and changes
    nothing when ``want`` is ``cpu``, when a scheduler already assigned the GPU, or when there is
    no GPU; returns the id held already when called twice.
    """
    if str(want).strip().lower() == "cpu":
        return None
    if _held:
        return os.environ.get("CUDA_VISIBLE_DEVICES")
    if any(os.environ.get(v) for v in SCHEDULER_VARS):
        return os.environ.get("CUDA_VISIBLE_DEVICES")
    pool = gpu_pool()
    if len(pool) <= 1:  # no GPU, or one: nothing to choose between
        return pool[0] if pool and "CUDA_VISIBLE_DEVICES" in os.environ else None
    if "torch" in sys.modules and sys.modules["torch"].cuda.is_initialized():
        log.warning("CUDA is initialised already: CUDA_VISIBLE_DEVICES can no longer choose this job's GPU")
        return None
    folder = Path(slot_dir or os.environ.get("SUBSPACE_GPU_SLOTS") or SLOT_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    waited = False
    while True:
        for gpu in pool:
            handle = open(folder / f"gpu-{gpu}.lock", "a+")
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                continue
            handle.seek(0)
            handle.truncate()
            handle.write(f"{os.getpid()}\n")
            handle.flush()
            _held.append(handle)
            os.environ["CUDA_VISIBLE_DEVICES"] = gpu
            log.info("GPU slot %s of %s (%s) -> CUDA_VISIBLE_DEVICES=%s", gpu, ",".join(pool), folder, gpu)
            return gpu
        if not waited:
            log.warning("all %d GPUs (%s) are taken by other jobs; waiting for one (run with --resources gpu=%d)",
                        len(pool), ",".join(pool), len(pool))
            waited = True
        time.sleep(poll_s)
