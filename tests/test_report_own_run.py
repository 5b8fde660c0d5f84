"""The report of a run with one task and no evaluation, as a new user's first own run
(tests/data/deploy_config.yaml): the summary printed at the end of snakemake, a report with only its own sections,
and a report built from copied results."""
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT
from reportpages import report_data
from subspace import reportsections

SMALL = ROOT / "tests/data/deploy_config.yaml"  # one task, one feature, one seed, one threshold, no evaluation


@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("small")
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    cmd = [sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "Snakefile"), "--directory", str(workdir),
           "--configfile", str(SMALL), "--cores", "2"]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-4000:]
    report = workdir / "report.html"
    built = subprocess.run(cmd + ["--report", str(report)], env=env, capture_output=True, text=True)
    assert built.returncode == 0, built.stderr[-4000:]
    return {"dir": workdir, "stdout": proc.stdout, "report": report_data(report.read_text()), "cmd": cmd, "env": env,
            "report_log": built.stdout + built.stderr}


def test_the_run_ends_with_its_summary(small_run):
    out = small_run["stdout"]
    text = (small_run["dir"] / "results/mimic/summary.txt").read_text()
    assert text in out and "snakemake --report results/report.html" in out
    assert re.search(r"^  w2v\s+mean\s+\d+/12\s+-?0\.\d{4} → -?0\.\d{4}", text, re.M), text
    again = subprocess.run([sys.executable, "-m", "subspace", "summary", "--results", "results"],
                           cwd=small_run["dir"], capture_output=True, text=True)
    assert again.returncode == 0 and text in again.stdout


def test_a_one_task_run_without_evaluation_gets_no_sections_about_others(small_run):
    report = small_run["report"]
    assert list(report["categories"]) == ["mimic"]
    assert sorted(report["categories"]["mimic"]) == [reportsections.SUMMARY, reportsections.REDUCTION,
                                                      reportsections.ATTRIBUTIONS]
    landing = report["landing"]
    for absent in ("humor", "Humor", "Evaluation beyond", "Late fusion", "Fine-tuning", "top-k"):
        assert absent not in landing, absent
    assert "mimic" in landing and "1 feature(s): w2v" in landing
    assert "Missing metadata" not in small_run["report_log"]


def test_a_report_of_copied_results_needs_the_metadata_beside_them(small_run, tmp_path):
    """docs/outputs.md: copy results/ together with .snakemake/metadata, and the report elsewhere is complete."""
    src = small_run["dir"]
    for part in ("results", "resources", ".snakemake/metadata"):
        shutil.copytree(src / part, tmp_path / part)
    cmd = [*small_run["cmd"][:small_run["cmd"].index("--directory") + 1], str(tmp_path),
           *small_run["cmd"][small_run["cmd"].index("--directory") + 2:], "--report", str(tmp_path / "r.html")]
    built = subprocess.run(cmd, env=small_run["env"], capture_output=True, text=True)
    assert built.returncode == 0 and "Missing metadata" not in built.stdout + built.stderr
    assert report_data((tmp_path / "r.html").read_text())["categories"] == small_run["report"]["categories"]
    shutil.rmtree(tmp_path / ".snakemake")
    built = subprocess.run(cmd, env=small_run["env"], capture_output=True, text=True)
    assert "Missing metadata" in built.stdout + built.stderr  # what the docs warn about
