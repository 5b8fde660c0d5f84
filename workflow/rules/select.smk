# Keep the dimensions whose mean attribution is above each configured threshold (selection.ranking auto: as
# many, from the top-k sweep's best ranking).
from subspace.steps import select as select_step


rule select:
    input:
        attributions=R.attribution("{task}", "{feature}"),
        sweep=lambda w: select_step.sweep_files(CFG, w.task, w.feature),
    output:
        report(
            R.selection("{task}", "{feature}", "{threshold}"),
            caption="../report/selection.rst",
            category="{task}",
            subcategory=sections.REDUCTION,
            labels=lambda w: sections.label(f"kept dimensions: {w.feature}, {w.threshold} threshold (JSON)"),
        ),
    log:
        R.log("{task}", "select", "{feature}", "{threshold}"),
    benchmark:
        R.benchmark("{task}", "select", "{feature}", "{threshold}")
    conda:
        "../../envs/train.yaml"
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        code=code("select"),
        sweep=lambda w: select_step.sweep_argument(CFG, w.task, w.feature),
    shell:
        "python -m subspace select --attributions {input.attributions:q} --threshold {wildcards.threshold} "
        "{params.sweep} --out {output:q} 2> {log:q}"
