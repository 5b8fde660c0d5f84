# subspace: task-relevant sub-spaces of pre-trained embeddings with Integrated Gradients.
# The whole DAG: `snakemake --dag | dot -Tpng > dag.png`; one target: see README.md.
import os

from snakemake.utils import min_version, validate

min_version("9.0")


configfile: "config/config.yaml"


validate(config, "workflow/schemas/config.schema.yaml")

# Jobs import the package from this checkout and never reach a model hub.
os.environ["PYTHONPATH"] = os.pathsep.join(
    p for p in (workflow.basedir, os.environ.get("PYTHONPATH")) if p
)
os.environ["HF_HUB_OFFLINE"] = "1"


include: "workflow/rules/common.smk"
include: "workflow/rules/demo.smk"
include: "workflow/rules/store.smk"
include: "workflow/rules/extract.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/attribute.smk"
include: "workflow/rules/select.smk"
include: "workflow/rules/report.smk"


rule all:
    input:
        all_outputs(),
    default_target: True
