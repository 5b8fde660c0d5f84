"""The workflow as others use it: with a config of one's own (nothing of the demo config leaks in), as a
Snakemake `module` in another workflow, and deployed by snakedeploy from a git repository at a tag.

Each run is tiny (tests/data/deploy_config.yaml: one task, one CSV feature, one seed) and builds one
target, a selection file, through demo -> store -> train -> attribute -> select. The jobs run
`python -m subspace` from the installed package (`make install`), not from a PYTHONPATH into the checkout.
"""
import importlib.metadata as md
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "tests/data/deploy_config.yaml"
TARGET = "results/mimic/selection/w2v/mean.json"


def run(cmd, cwd):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, f"{cmd} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-6000:]}"
    return proc


def snakemake(cwd, *args):
    return run([sys.executable, "-m", "snakemake", "--cores", "2", *args], cwd)


def assert_selection(workdir: Path):
    sel = json.loads((workdir / TARGET).read_text())
    assert sel["kept"] and len(sel["kept"]) < 12, sel


@pytest.fixture(scope="module", autouse=True)
def package_is_installed():
    try:
        md.distribution("subspace-workflow")
    except md.PackageNotFoundError:
        pytest.fail("the subspace-workflow package is not installed in this environment: run `make install`")


def test_own_config_replaces_the_demo_config(tmp_path):
    """`snakemake --configfile my.yaml` in the repository runs my.yaml only: config/config.yaml (the demo's
    seven features, fusion, fine-tuning, evaluation) does not leak in. Dry run from the checkout itself."""
    own = tmp_path / "my.yaml"
    own.write_text(CONFIG.read_text().replace("results: results", f"results: {tmp_path / 'out'}"))
    out = snakemake(ROOT, "--configfile", str(own), "-n", "--quiet", "rules").stdout
    counts = {line.split()[0]: int(line.split()[1]) for line in out.splitlines()
              if len(line.split()) == 2 and line.split()[1].isdigit()}
    assert counts.get("train") == 2 and counts.get("demo_mimic") == 1, out   # full + mean, one seed
    for demo_only in ("demo_humor", "fuse", "finetune", "topk_train", "stability", "extract", "fau_figure"):
        assert demo_only not in counts, f"{demo_only} from config/config.yaml leaked into the own config:\n{out}"


def test_job_lines_do_not_list_every_data_file(tmp_path):
    """Snakemake's reasons list every missing or updated file, and a demo job's outputs are every CSV it
    writes. The workflow profile's `quiet: [reason]` and the demo rules' one-line `message:` drop those
    lists; the store job, whose inputs are every feature CSV, prints one line too."""
    own = tmp_path / "my.yaml"
    own.write_text(CONFIG.read_text().replace("results: results", f"results: {tmp_path / 'out'}"))
    out = snakemake(ROOT, "--configfile", str(own), "-n").stdout
    assert any(line.startswith("Job ") and "demo data: mimic (log: " in line for line in out.splitlines()), out[-3000:]
    assert "Reason:" not in out and "    reason:" not in out, out[-3000:]
    assert any(line.startswith("Job ") and "store: mimic/w2v from its files (log: " in line
               for line in out.splitlines()), out[-3000:]
    listing = [line[:200] for line in out.splitlines() if "features/w2v/00001.csv" in line]
    assert not listing, listing


def test_config_errors_name_the_file_that_set_the_key(tmp_path):
    """With several --configfile, the error names the one the bad key came from, before any job runs."""
    own = tmp_path / "my.yaml"
    own.write_text(CONFIG.read_text().replace("results: results", f"results: {tmp_path / 'out'}"))
    override = tmp_path / "override.yaml"
    override.write_text("training: {batch_size: 0}\n")
    cmd = [sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "Snakefile"), "--cores", "1", "-n",
           "--configfile", str(own), str(override)]
    proc = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0 and "override.yaml:\n  - training.batch_size: input should be greater than or " \
        "equal to 1 (got 0)" in out, proc.stderr[-2000:]
    # a CSV feature without feature_dir: the task is in my.yaml, so my.yaml is named
    own.write_text(own.read_text().replace("    feature_dir: resources/demo/mimic/features\n", ""))
    proc = subprocess.run(cmd[:-1], cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode != 0 and "my.yaml:\n  - tasks.mimic.feature_dir: needed by the CSV features ['w2v']" in \
        proc.stdout + proc.stderr, proc.stderr[-2000:]
    assert not (tmp_path / "out").exists()


def test_used_as_a_module(tmp_path):
    """Another workflow with its own config uses this one through a `module` directive."""
    (tmp_path / "config").mkdir()
    shutil.copy(CONFIG, tmp_path / "config/config.yaml")
    (tmp_path / "Snakefile").write_text(f'''configfile: "config/config.yaml"


module subspace:
    snakefile:
        "{ROOT / 'workflow/Snakefile'}"
    config:
        config


use rule * from subspace as subspace_*


rule mine:
    input:
        "{TARGET}",
    output:
        "kept.txt",
    shell:
        "python -c 'import json,sys; print(len(json.load(open(sys.argv[1]))[\\"kept\\"]))' {{input}} > {{output}}"
''')
    snakemake(tmp_path, "mine")
    assert_selection(tmp_path)
    assert int((tmp_path / "kept.txt").read_text()) > 0
    assert not (tmp_path / "results/humor").exists()


def test_deployed_with_snakedeploy_from_a_git_tag(tmp_path):
    """`snakedeploy deploy-workflow` from a git repository of this working tree, tagged v0.1.0.

    snakedeploy 0.17.1 matches https:// GitHub/GitLab URLs and existing local paths (a file:// URL matches no
    provider). For a local path it copies the repository, ignores --tag, and declares the module's snakefile as
    the relative "workflow/Snakefile", which from the deployed workflow/Snakefile does not exist. For a GitHub
    URL it writes `github("owner/repo", path="workflow/Snakefile", tag=...)`; here, without a network, that
    declaration is Snakemake's local-git equivalent `gitfile(<repo>, path="workflow/Snakefile", tag=...)`, so the workflow's files are
    read from the tagged commit through Snakemake's source cache, as in a real deployment."""
    repo = tmp_path / "subspace"
    files = run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"], ROOT).stdout.split("\0")
    for f in filter(None, files):
        if (ROOT / f).is_file():
            (repo / f).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / f, repo / f)
    git = ["git", "-c", "user.name=test", "-c", "user.email=test@example.org"]
    run(["git", "init", "-q", "-b", "main"], repo)
    run(git + ["add", "-A"], repo)
    run(git + ["commit", "-q", "-m", "snapshot"], repo)
    run(git + ["tag", "v0.1.0"], repo)

    dest = tmp_path / "deployed"
    snakedeploy = Path(sys.executable).parent / "snakedeploy"
    run([str(snakedeploy), "deploy-workflow", str(repo), str(dest), "--tag", "v0.1.0"], tmp_path)
    assert (dest / "config/config.yaml").read_text() == (ROOT / "config/config.yaml").read_text()
    assert (dest / "LICENSE").exists() and (dest / "profiles/slurm").is_dir()
    deployed = (dest / "workflow/Snakefile").read_text()
    assert 'configfile: "config/config.yaml"' in deployed and "use rule * from subspace" in deployed, deployed
    assert '\n        "workflow/Snakefile"\n' in deployed, deployed   # the local provider's declaration (see above)
    deployed = deployed.replace('\n        "workflow/Snakefile"\n',
                                f'\n        gitfile("{repo}", path="workflow/Snakefile", tag="v0.1.0")\n')
    (dest / "workflow/Snakefile").write_text(deployed)
    # the user edits the deployed config template: here the tiny one
    shutil.copy(CONFIG, dest / "config/config.yaml")
    snakemake(dest, TARGET)
    assert_selection(dest)
    assert not (dest / "results/humor").exists()
