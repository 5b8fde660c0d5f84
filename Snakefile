# subspace: task-relevant sub-spaces of pre-trained embeddings with Integrated Gradients.
# The whole DAG: `snakemake --dag | dot -Tpng > dag.png`; one target: see README.md.
from snakemake.utils import min_version

min_version("9.0")


# config/config.yaml runs the demo. A config of your own replaces it instead of being merged into
# it: `snakemake --cores N --configfile my.yaml` runs what my.yaml sets and nothing of the demo.
if not workflow.overwrite_configfiles:

    configfile: "config/config.yaml"


report: "workflow/report/workflow.rst"


# The config is validated (and its defaults set) in common.smk, which names the file of a bad key.
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
