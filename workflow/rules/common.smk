# Shared by all the rules files. The typed config, read and checked before any job; the plan of the run (what
# each job reads and where it writes, subspace/plan.py and subspace/layout.py); the jobs' environment. The
# other files hold only rules; the settings a job gets come from its step module (subspace/steps/<step>.py).
import os
import shlex
import sys
from pathlib import Path

from snakemake.utils import validate

# The package is installed (`pip install .`; envs/*.yaml); the rules never reach into this checkout.
import subspace
from subspace import codehash, steps
from subspace import reportsections as sections
from subspace.config.files import FILES_ENV
from subspace.config.load import ConfigError, load
from subspace.plan import Plan

PACKAGE_DIR = Path(subspace.__file__).parent
# The conda envs (envs/*.yaml) pip-install the package from SUBSPACE_SOURCE: the checkout the package was
# installed from, else set it yourself (e.g. git+https://<host>/subspace@v0.1.0; docs/cluster.md).
if (PACKAGE_DIR.parent / "pyproject.toml").exists():
    os.environ.setdefault("SUBSPACE_SOURCE", PACKAGE_DIR.parent.as_uri())


def config_files():
    """The config files in Snakemake's merge order (later ones win), as absolute paths."""
    cli = [Path(f).resolve() for f in workflow.overwrite_configfiles]
    own = [Path(f).resolve() for f in workflow.configfiles if Path(f).resolve() not in cli]
    return [str(f) for f in own + cli]


try:
    CFG = load(config, config_files())
except ConfigError as exc:  # every problem at once, by file; a config error is no crash: no traceback
    print(exc, file=sys.stderr)
    sys.exit(1)
# the schema generated from the same model (python -m subspace.config.docs), as Snakemake validates configs
validate(config, "../schemas/config.schema.yaml", set_default=False)

# Jobs never reach a model hub, and name the config file of a key they find wrong (subspace/config/files.py).
shell.prefix(f"export HF_HUB_OFFLINE=1 {FILES_ENV}={shlex.quote(os.pathsep.join(config_files()))}; ")

P = Plan(CFG)
R = P.r
TASKS = list(CFG.tasks)
SEEDS = CFG.seeds
THRESHOLDS = CFG.selection.thresholds
THREADS = CFG.threads_per_job


wildcard_constraints:
    task="|".join(TASKS),
    feature="[A-Za-z0-9_-]+",
    variant="full|" + "|".join(t.replace(".", r"\.") for t in THRESHOLDS),
    threshold="|".join(t.replace(".", r"\.") for t in THRESHOLDS),
    seed=r"\d+",
    shard=r"\d+-of-\d+",


def code(step):
    """The `code` parameter of a step's jobs: the hash of the text the step runs (subspace/codehash.py), so
    that a change to a step's code reruns that step's jobs (and what depends on them) and nothing else."""
    return codehash.code_hash(step)


def spec_json(obj):
    return steps.spec_json(obj)
