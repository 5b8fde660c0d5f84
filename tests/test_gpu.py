"""Device choice and one GPU per running job (subspace.gpu), without a GPU: the GPUs are named by SUBSPACE_GPUS and
each job reports the CUDA_VISIBLE_DEVICES it was given."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

from subspace import gpu

ROOT = Path(__file__).resolve().parents[1]
CLAIM = "import json, os, sys; from subspace import gpu; g = gpu.claim_gpu(); print(json.dumps([g, os.environ.get('CUDA_VISIBLE_DEVICES')]))"


def env_for(**extra):
    env = {k: v for k, v in os.environ.items() if k not in ("CUDA_VISIBLE_DEVICES", "SLURM_JOB_ID", "SUBSPACE_GPUS")}
    return dict(env, PYTHONPATH=str(ROOT), PATH=f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}", **extra)


def claim_in_a_process(tmp_path, **extra):
    out = subprocess.run([sys.executable, "-c", CLAIM], cwd=tmp_path, env=env_for(**extra), capture_output=True,
                         text=True, check=True)
    return json.loads(out.stdout)


def test_resolve_device_validates_what_it_is_given():
    assert gpu.resolve_device("cpu") == torch.device("cpu")
    assert gpu.resolve_device("auto") == torch.device("cuda" if torch.cuda.is_available() else "cpu")
    for bad in ("gpu", "cuda:x", "cuda:-1", "tpu:0", ""):
        with pytest.raises(ValueError, match="is not one of auto, cpu, cuda, cuda:<index>"):
            gpu.resolve_device(bad)
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="torch sees no CUDA device"):
            gpu.resolve_device("cuda:1")


def test_each_process_gets_a_free_slot_and_the_lock_ends_with_the_process(tmp_path):
    holder = subprocess.Popen([sys.executable, "-c", CLAIM + "; sys.stdout.flush(); sys.stdin.read()"], cwd=tmp_path,
                              env=env_for(SUBSPACE_GPUS="4,5"), stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert json.loads(holder.stdout.readline()) == ["4", "4"]  # the first GPU of the pool, held
        assert claim_in_a_process(tmp_path, SUBSPACE_GPUS="4,5") == ["5", "5"]  # 4 is taken: the next one
    finally:
        holder.communicate("")
    assert claim_in_a_process(tmp_path, SUBSPACE_GPUS="4,5") == ["4", "4"]  # released when the holder exited
    assert (tmp_path / ".snakemake/gpu-slots/gpu-4.lock").exists()


def test_a_scheduler_choice_a_single_device_the_cpu_and_no_gpu_are_left_alone(tmp_path):
    # SLURM chose the GPU (its CUDA_VISIBLE_DEVICES stays, even with a pool named)
    assert claim_in_a_process(tmp_path, SLURM_JOB_ID="7", CUDA_VISIBLE_DEVICES="3", SUBSPACE_GPUS="0,1") == [
        "3", "3"]
    assert claim_in_a_process(tmp_path, CUDA_VISIBLE_DEVICES="2") == ["2", "2"]  # one device: nothing to choose
    assert claim_in_a_process(tmp_path, CUDA_VISIBLE_DEVICES="") == [None, ""]  # GPUs hidden on purpose
    # several listed (the user's share of the box): one of those
    assert claim_in_a_process(tmp_path, CUDA_VISIBLE_DEVICES="6,7") == ["6", "6"]
    cpu = subprocess.run([sys.executable, "-c", CLAIM.replace("claim_gpu()", "claim_gpu('cpu')")], cwd=tmp_path,
                         env=env_for(SUBSPACE_GPUS="0,1"), capture_output=True, text=True, check=True)
    assert json.loads(cpu.stdout) == [None, None]
    if not list(Path("/dev").glob("nvidia[0-9]*")):
        assert claim_in_a_process(tmp_path) == [None, None]  # this box has no GPU


PROBE = textwrap.dedent('''\
    import json, os, sys, time
    from subspace import gpu
    gpu.claim_gpu()
    start = time.time()
    time.sleep(1.5)  # long enough for the four jobs to overlap
    json.dump({"gpu": os.environ.get("CUDA_VISIBLE_DEVICES"), "start": start, "end": time.time()}, open(sys.argv[1], "w"))
''')

SNAKEFILE = textwrap.dedent('''\
    rule all:
        input: expand("probe/{i}.json", i=range(8))

    rule gpu_job:
        output: "probe/{i}.json"
        resources: gpu=1
        shell: "python probe.py {output}"
''')


def test_concurrent_snakemake_gpu_jobs_each_see_their_own_device(tmp_path):
    (tmp_path / "probe.py").write_text(PROBE)
    (tmp_path / "Snakefile").write_text(SNAKEFILE)
    proc = subprocess.run([sys.executable, "-m", "snakemake", "--cores", "8", "--resources", "gpu=4"], cwd=tmp_path,
                          env=env_for(SUBSPACE_GPUS="0,1,2,3"), capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    jobs = [json.loads(p.read_text()) for p in sorted((tmp_path / "probe").glob("*.json"))]
    assert len(jobs) == 8 and {j["gpu"] for j in jobs} == {"0", "1", "2", "3"}
    overlapping = [(a, b) for i, a in enumerate(jobs) for b in jobs[i + 1:]
                   if a["start"] < b["end"] and b["start"] < a["end"]]
    assert len(overlapping) >= 6  # four at a time ran together (at least the six pairs of one wave)
    assert all(a["gpu"] != b["gpu"] for a, b in overlapping)
