"""Where a torch job computes, and how every torch job starts.

:func:`placement` decides, from the config, both the device a job's rule passes to the job and the GPUs the
rule declares (``resources: gpu=``), so no rule computes on a device it did not declare. :func:`start` is
the first thing every torch step runs (extract, translate, train, attribute, rank, topk_train,
seed_attributions, cross_train, finetune): its own GPU on a multi-GPU box (:func:`subspace.gpu.claim_gpu`),
``CUBLAS_WORKSPACE_CONFIG`` before the first cuBLAS call, torch's threads, deterministic algorithms, and the
device resolved (``cuda:<index>`` counts the devices the job sees, or is refused with the count).
This module imports torch only inside :func:`start` and :func:`deterministic`.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass

DECODER_STEPS = ("train", "attribute", "rank", "topk_train", "seed_attributions", "cross_train")
EXTRACTION_STEPS = ("extract", "translate")
# cuBLAS needs this before its first call for deterministic results (PyTorch's reproducibility notes)
CUBLAS_SETTING = ("CUBLAS_WORKSPACE_CONFIG", ":4096:8")


@dataclass(frozen=True)
class Placement:
    device: str  # what the job is told: auto, cpu, cuda or cuda:<index>
    gpus: int    # what the job's rule declares as `resources: gpu=`


def placement(cfg, step: str, task: str | None = None, encoder: str | None = None) -> Placement:
    """A job's device and its rule's GPUs from one setting: a job that declares no GPU computes on the CPU."""
    if step in DECODER_STEPS:
        gpus, want = cfg.training.gpu, cfg.training.device
    elif step in EXTRACTION_STEPS:
        enc = cfg.encoders[encoder]
        if enc.kind == "fau":  # py-feat CSVs: no model
            return Placement("cpu", 0)
        gpus, want = cfg.extraction.gpu, enc.device
    elif step == "finetune":
        gpus, want = cfg.finetune[task].gpu, cfg.finetune[task].device
    else:
        raise ValueError(f"step '{step}' runs no torch model")
    return Placement(want if gpus > 0 else "cpu", gpus)


def deterministic() -> None:
    """Deterministic algorithms: strict on the CPU; on a CUDA box a kernel without a deterministic variant
    warns instead of failing the job (the CPU is where the workflow promises identical numbers)."""
    os.environ.setdefault(*CUBLAS_SETTING)
    import torch
    torch.use_deterministic_algorithms(True, warn_only=torch.cuda.is_available())


def start(device: str, threads: int = 1, setting: str = "training.device"):
    """Set up a torch job; returns the torch.device it computes on.

    CUBLAS_WORKSPACE_CONFIG is set (:func:`deterministic`) before the job can make a cuBLAS call.
    ``auto`` and ``cuda`` take a GPU of their own on a multi-GPU box; ``cuda:<index>`` is pinned by the user
    (no slot is claimed) and counts the devices the job sees (``CUDA_VISIBLE_DEVICES``). A device the job
    cannot have is a config error naming ``setting``, the key that chose it, and the file that set it.
    """
    from . import gpu
    from .errors import config_error

    if device != "cpu" and not re.fullmatch(r"cuda:\d+", str(device)):
        gpu.claim_gpu(device)  # before torch initialises CUDA
    import torch
    torch.set_num_threads(max(1, int(threads)))
    deterministic()
    try:
        return gpu.resolve_device(device)
    except ValueError as exc:
        raise config_error(setting, str(exc)) from None
