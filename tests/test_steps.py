"""One entry point per step, tracked per step: a change to one step's code reruns that step's jobs and what
depends on them, nothing else; a content change of the user's data reruns what reads it, whatever its mtime;
every torch job starts the same way (tests of subspace/codehash.py, fingerprint.py, torchjob.py)."""
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, TINY
from subspace import codehash, torchjob
from subspace.cli import steps as all_steps
from subspace.config.load import load
from subspace.errors import InputError
from subspace.fingerprint import fingerprint


def planned(workdir, *args, repo=ROOT, config=TINY) -> dict[str, int]:
    """rule -> planned jobs of a dry run of the workflow in ``repo`` (empty: nothing to be done)."""
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
               PYTHONPATH=str(repo))
    proc = subprocess.run([sys.executable, "-m", "snakemake", *args, "--snakefile", str(repo / "Snakefile"),
                           "--directory", str(workdir), "--configfile", str(config), "-n", "--quiet", "rules"],
                          capture_output=True, text=True, env=env, cwd=workdir)  # not where a checkout is
    assert proc.returncode == 0, proc.stderr[-3000:]
    stats = proc.stdout.split("Job stats:")[-1] if "Job stats:" in proc.stdout else ""
    return {m.group(1): int(m.group(2)) for m in re.finditer(r"^(\w+)\s+(\d+)$", stats, re.M) if m.group(1) != "total"}


def test_every_step_has_a_module_and_its_code_is_what_it_imports():
    STEPS = all_steps()
    assert "train" in STEPS and "store" in STEPS and "__init__" not in STEPS
    files = {s: {Path(f).relative_to(ROOT / "subspace").as_posix() for f in codehash.step_files(s)} for s in STEPS}
    assert {"steps/fau_figure.py", "fau.py", "plot.py", "store.py"} <= files["fau_figure"]
    assert "train.py" not in files["fau_figure"] and "torch" not in " ".join(files["fau_figure"])
    assert {"steps/train.py", "train.py", "decoder.py", "torchjob.py", "gpu.py", "metrics.py"} <= files["train"]
    assert "config/checks.py" not in files["train"]  # a change to the config checks reruns no job
    assert all({"__main__.py", "cli.py", "steps/__init__.py"} <= f for f in files.values())


@pytest.fixture
def repo_copy(tmp_path):
    """The workflow and its package in a folder of their own (the workflow imports the package beside its
    Snakefile first): their code can be edited without touching the checkout."""
    (tmp_path / "repo").mkdir()
    for part in ("Snakefile", "workflow", "subspace", "config", "profiles"):
        copy = shutil.copytree if (ROOT / part).is_dir() else shutil.copy
        copy(ROOT / part, tmp_path / "repo" / part, **({"ignore": shutil.ignore_patterns("__pycache__")}
                                                       if copy is shutil.copytree else {}))
    return tmp_path / "repo"


def edit(repo, module):
    path = repo / "subspace" / module
    path.write_text(path.read_text() + "\n# an edit\n")


def test_editing_one_steps_code_reruns_only_its_jobs(tiny_run, repo_copy):
    assert planned(tiny_run, repo=repo_copy) == {}, "a finished run with the same code plans nothing"
    os.utime(repo_copy / "subspace" / "train.py", (1, 1))  # a touch is no change: code counts by content
    assert planned(tiny_run, repo=repo_copy) == {}
    edit(repo_copy, "fau.py")
    jobs = planned(tiny_run, repo=repo_copy)
    assert set(jobs) <= {"fau_figure", "default"} and jobs["fau_figure"] == 2


def test_editing_the_selection_reruns_the_selection_and_what_follows_it(tiny_run, repo_copy):
    edit(repo_copy, "steps/select.py")
    jobs = planned(tiny_run, repo=repo_copy)
    assert jobs["select"] == 10  # 5 features x 2 thresholds
    assert jobs["train"] == 10  # the reduced decoders; the full ones stay
    assert not set(jobs) & {"store", "extract", "translate", "merge_embeddings", "attribute", "rank", "topk_train",
                            "demo_humor", "demo_mimic", "seed_attributions"}


def user_data(tmp_path):
    """The deploy config's demo data copied where a user's data would be, and a config without `demo`."""
    from subspace import demo
    config = yaml.safe_load((ROOT / "tests/data/deploy_config.yaml").read_text())
    data = tmp_path / "data"
    demo.make_mimic(data, config.pop("demo")["mimic"], config["tasks"]["mimic"]["targets"], seed=3)
    config["tasks"]["mimic"].update(partition_file=str(data / "partition.csv"), label_file=str(data / "labels.csv"),
                                   feature_dir=str(data / "features"))
    path = tmp_path / "own.yaml"
    path.write_text(yaml.safe_dump(config))
    return path, data


def test_a_changed_label_file_with_an_older_mtime_reruns_its_store(tmp_path):
    config, data = user_data(tmp_path)
    work = tmp_path / "work"
    store = "results/mimic/embeddings/w2v.h5"
    run = subprocess.run([sys.executable, "-m", "snakemake", store, "--snakefile", str(ROOT / "Snakefile"), "--directory",
                          str(work), "--configfile", str(config), "--cores", "1"], capture_output=True, text=True,
                         env=dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"))
    assert run.returncode == 0, run.stderr[-3000:]
    assert planned(work, store, config=config) == {}
    labels = data / "labels.csv"
    before = labels.stat()
    lines = labels.read_text().splitlines()
    lines[1] = lines[1].rsplit(",", 1)[0] + ",0.123456"  # one label corrected, the file's size kept or not
    labels.write_text("\n".join(lines) + "\n")
    os.utime(labels, ns=(before.st_atime_ns, before.st_mtime_ns - 10**12))  # `cp -p` of an older copy
    assert planned(work, store, config=config) == {"store": 1}


def test_fingerprints_follow_content_of_small_files_and_any_rewrite_of_large_ones(tmp_path, monkeypatch):
    small, large = tmp_path / "labels.csv", tmp_path / "big.csv"
    small.write_text("a,b\n1,2\n")
    large.write_bytes(b"x" * 100_000)
    first = fingerprint([small, large])
    os.utime(small, (1, 1))
    assert fingerprint([small, large]) == first  # small: by content
    stat = large.stat()
    large.write_bytes(b"y" * 100_000)
    os.utime(large, ns=(stat.st_atime_ns, stat.st_mtime_ns - 10**9))  # older, same size
    assert fingerprint([small, large]) != first
    assert fingerprint([tmp_path / "missing"]) != fingerprint([small])


def test_placement_gives_the_device_and_the_gpus_from_one_setting(monkeypatch):
    monkeypatch.chdir(ROOT)
    config = yaml.safe_load(TINY.read_text())
    cfg = load(config, [str(TINY)])
    assert torchjob.placement(cfg, "train") == torchjob.Placement("cpu", 0)
    assert torchjob.placement(cfg, "extract", encoder="pyfeat") == torchjob.Placement("cpu", 0)  # no model
    assert torchjob.placement(cfg, "translate", encoder="fsmt-tiny") == torchjob.Placement("auto", 1)
    config["training"].update(gpu=2, device="cuda:1")
    cfg = load(config, [str(TINY)])
    assert {torchjob.placement(cfg, s) for s in torchjob.DECODER_STEPS} == {torchjob.Placement("cuda:1", 2)}


def test_every_torch_rule_declares_the_gpus_of_the_device_it_computes_on():
    torch_steps = set(torchjob.DECODER_STEPS) | set(torchjob.EXTRACTION_STEPS) | {"finetune"}
    seen = set()
    for smk in (ROOT / "workflow/rules").glob("*.smk"):
        text = smk.read_text()
        for block in re.split(r"\n(?=rule )", text):
            step = re.search(r'"python -m subspace (\w+)', block)
            if step and step.group(1) in torch_steps:
                seen.add(step.group(1))
                assert re.search(r"^\s+gpu=", block, re.M), f"{smk.name}: {step.group(1)} declares no gpu"
                assert "placement(" in block or "DECODER." in block, f"{step.group(1)}: gpus not from placement"
    assert seen == torch_steps


def test_start_sets_cublas_before_torch_and_turns_on_deterministic_algorithms():
    code = ("import os, sys; from subspace import torchjob; assert 'torch' not in sys.modules; "
            "d = torchjob.start('cpu', 2); import torch; "
            "print(os.environ['CUBLAS_WORKSPACE_CONFIG'], torch.are_deterministic_algorithms_enabled(), "
            "torch.get_num_threads(), d)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={k: v for k, v in os.environ.items() if k != "CUBLAS_WORKSPACE_CONFIG"})
    assert out.stdout.split() == [":4096:8", "True", "2", "cpu"], out.stderr


def test_start_claims_a_gpu_slot_unless_the_device_is_pinned_or_the_cpu(monkeypatch):
    from subspace import gpu
    claimed = []
    monkeypatch.setattr(gpu, "claim_gpu", lambda want: claimed.append(want))
    monkeypatch.setattr(gpu, "resolve_device", lambda want: want)
    for device in ("auto", "cuda", "cpu", "cuda:1"):
        torchjob.start(device)
    assert claimed == ["auto", "cuda"]


def test_a_device_the_job_cannot_have_is_a_config_error_naming_the_key():
    import torch
    beyond = f"cuda:{torch.cuda.device_count()}"  # one past the devices this job sees
    with pytest.raises(InputError) as err:
        torchjob.start(beyond, setting="encoders.w2v.device")
    assert "encoders.w2v.device" in err.value.problem and "CUDA device" in err.value.problem
