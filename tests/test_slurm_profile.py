"""profiles/slurm without a cluster: the profile parses (the plugin is installed and knows every key),
GPUs are requested exactly by rules that declare `resources: gpu=N`, and per-rule settings name real
rules. tests/slurm/run_slurm_e2e.sh runs the profile on a real single-node SLURM cluster.
"""
import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "tests/data/tiny_config.yaml"
SLURM = ROOT / "profiles/slurm/config.v8+.yaml"
DEFAULT = ROOT / "profiles/default/config.v8+.yaml"


def dry_run(workdir, *args):
    """`snakemake --profile profiles/slurm -n`: a dry run plans with Snakemake's dryrun executor and
    never calls sbatch/squeue, so no cluster is needed (SLURM_CONF is dropped to make sure)."""
    env = {k: v for k, v in os.environ.items() if k != "SLURM_CONF"}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    cmd = [sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "Snakefile"), "--directory", str(workdir),
           "--configfile", str(TINY), "--profile", str(ROOT / "profiles/slurm"), "-n", *args]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, f"dry run failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc.stdout + proc.stderr


def job_resources(output: str) -> list[tuple[str, dict[str, str]]]:
    """(rule, resources) for every planned job in a dry run's output."""
    jobs, rule = [], None
    for line in output.splitlines():
        m = re.match(r"^(?:local)?rule (\w+):$", line)
        if m:
            rule = m.group(1)
        m = re.match(r"^\s+resources: (.*)$", line)
        if m and rule:
            jobs.append((rule, dict(kv.split("=", 1) for kv in m.group(1).split(", "))))
            rule = None
    return jobs


def declared_gpus() -> set[str]:
    """Rules whose `resources:` declare a `gpu` entry (its value comes from the config), from workflow/rules/*.smk."""
    gpus = set()
    for smk in (ROOT / "workflow/rules").glob("*.smk"):
        text = smk.read_text()
        starts = [(m.start(), m.group(1)) for m in re.finditer(r"^\s*rule (\w+):", text, re.M)]
        for (start, name), (end, _) in zip(starts, starts[1:] + [(len(text), None)]):
            if re.search(r"^\s+gpu\s*=", text[start:end], re.M):
                gpus.add(name)
    return gpus


def gpu_of(resources: dict[str, str]) -> int:
    return int(resources.get("gpu", 0))


def test_the_profile_sets_what_a_cluster_without_accounting_needs():
    p = yaml.safe_load(SLURM.read_text())
    assert p["executor"] == "slurm"
    assert p["slurm-status-command"] == "squeue", "sacct fails without accounting and Snakemake waits for ever"
    assert p["jobs"] > 1 and p["latency-wait"] >= 5 and p["retries"] >= 1
    assert {"mem_mb", "runtime"} <= set(p["default-resources"])
    assert (SLURM.parent / p["slurm-partition-config"]).is_file()
    # `--resources gpu=0` (or any global gpu limit) silently drops --gpus from every sbatch call
    assert "resources" not in p and "gpu" not in p["default-resources"]


def test_the_default_workflow_profile_does_not_override_cluster_settings():
    # Snakemake loads profiles/default as the workflow profile on every run, after --profile, and
    # its keys win: it must not touch what profiles/slurm decides.
    p = yaml.safe_load(DEFAULT.read_text())
    assert p["keep-going"] is False and p["rerun-incomplete"] is True and p["printshellcmds"] is True
    assert set(p) <= {"cores", "keep-going", "rerun-incomplete", "printshellcmds", "quiet"}, set(p)
    assert p.get("quiet", ["reason"]) == ["reason"]   # hides only the reasons' file lists (test_deploy.py)


def test_set_resources_name_real_rules():
    rules = subprocess.run([sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "Snakefile"),
                            "--directory", str(ROOT), "--list-rules"],
                           capture_output=True, text=True, cwd=ROOT, check=True).stdout.split()
    unknown = set(yaml.safe_load(SLURM.read_text())["set-resources"]) - set(rules)
    assert not unknown, f"profiles/slurm set-resources for rules that do not exist: {unknown}"


def test_only_rules_that_declare_gpus_request_them(tmp_path):
    jobs = job_resources(dry_run(tmp_path))
    assert len(jobs) >= 20, "the dry run planned too few jobs"
    declared = declared_gpus()
    assert declared >= {"extract", "translate", "finetune"}
    decoder_rules = {"train", "attribute", "rank", "topk_train", "seed_attributions", "cross_train"}  # training.gpu
    assert declared >= decoder_rules
    for rule, res in jobs:
        if rule in decoder_rules:
            assert gpu_of(res) == 0, f"decoder rule {rule} requests gpu={gpu_of(res)} (training.gpu is 0 by default)"
        elif rule in declared:  # the config asks for one GPU (extraction.gpu, finetune.<task>.gpu)...
            assert gpu_of(res) in (0, 1), f"GPU rule {rule} requests gpu={gpu_of(res)}"
        else:
            assert gpu_of(res) == 0, f"CPU rule {rule} requests gpu={gpu_of(res)}"
    # ...except for an encoder without a model (py-feat CSVs): its extraction never computes on a GPU
    assert {gpu_of(res) for rule, res in jobs if rule == "extract"} == {0, 1}
    # (rules with a `message:`, e.g. store and the demo's, print no resources line in a dry run)
    assert {rule for rule, _ in jobs} >= {"train", "attribute", "select", "extract", "finetune"}


def test_a_gpu_request_reaches_the_job_and_only_that_job(tmp_path):
    # ask for one on a CPU rule the way a rule's `resources: gpu=1` does
    jobs = job_resources(dry_run(tmp_path, "--set-resources", "attribute:gpu=1"))
    assert {gpu_of(res) for rule, res in jobs if rule == "attribute"} == {1}
    others = {rule for rule, res in jobs if rule != "attribute" and rule not in declared_gpus() and gpu_of(res)}
    assert not others, f"CPU rules that would request GPUs: {others}"


def test_training_gpu_puts_the_decoder_jobs_on_gpus(tmp_path):
    config = yaml.safe_load(TINY.read_text())
    config["training"]["gpu"] = 1
    (tmp_path / "gpu.yaml").write_text(yaml.safe_dump(config))
    jobs = job_resources(dry_run(tmp_path, "--configfile", str(tmp_path / "gpu.yaml")))
    gpus = {rule: gpu_of(res) for rule, res in jobs}
    assert gpus["train"] == gpus["attribute"] == 1 and gpus["select"] == 0
