# subspace: task-relevant sub-spaces of pre-trained embeddings with Integrated Gradients.
# The whole DAG: `snakemake --dag | dot -Tpng > dag.png`; one target: see README.md.
from snakemake.utils import min_version, validate

min_version("9.0")


configfile: "config/config.yaml"


validate(config, "workflow/schemas/config.schema.yaml")


report: "workflow/report/workflow.rst"

# Jobs import the package from this checkout and never reach a model hub.
shell.prefix(f"export HF_HUB_OFFLINE=1 PYTHONPATH='{workflow.basedir}':$PYTHONPATH; ")


include: "workflow/rules/common.smk"
include: "workflow/rules/demo.smk"
include: "workflow/rules/store.smk"
include: "workflow/rules/extract.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/attribute.smk"
include: "workflow/rules/select.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/fuse.smk"
include: "workflow/rules/finetune.smk"
include: "workflow/rules/evaluate.smk"


rule all:
    input:
        all_outputs(),
    default_target: True
