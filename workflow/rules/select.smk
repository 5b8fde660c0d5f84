# Keep the dimensions whose mean attribution is above each configured threshold.


rule select:
    input:
        attributions=R.attribution("{task}", "{feature}"),
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
    shell:
        "python -m subspace select --attributions {input.attributions:q} --threshold {wildcards.threshold} "
        "--out {output:q} 2> {log:q}"
