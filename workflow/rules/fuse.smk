# Late fusion of the per-modality decoders (config `fusion`), and the FAU figure (config `fau_features`).
from subspace.steps import fuse as fuse_step


rule fuse:
    input:
        lambda w: P.fusion_inputs(w.task),
    output:
        csv=R.table("{task}", "fusion", "csv"),
        md=R.table("{task}", "fusion", "md"),
        predictions=R.fused_predictions("{task}"),
    log:
        R.log("{task}", "fuse"),
    benchmark:
        R.benchmark("{task}", "fuse")
    conda:
        "../../envs/plot.yaml"
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        code=code("fuse"),
        spec=lambda w: spec_json(fuse_step.spec(CFG, w.task)),
    shell:
        "python -m subspace fuse --task {wildcards.task} --spec {params.spec:q} --csv {output.csv:q} --md {output.md:q} "
        "--predictions {output.predictions:q} 2> {log:q}"


rule fau_figure:
    input:
        attributions=R.attribution("{task}", "{feature}"),
    output:
        report(
            R.figure("{task}", "fau_{feature}", "png"),
            caption="../report/fau.rst",
            category="{task}",
            subcategory=sections.FAU,
            labels=lambda w: sections.label(f"{w.feature}: IG per action unit, by muscle (figure)"),
        ),
        R.figure("{task}", "fau_{feature}", "pdf"),
    log:
        R.log("{task}", "fau_figure", "{feature}"),
    benchmark:
        R.benchmark("{task}", "fau_figure", "{feature}")
    conda:
        "../../envs/finetune.yaml"
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        code=code("fau_figure"),
        targets=lambda w: spec_json(CFG.tasks[w.task].targets),
    shell:
        "python -m subspace fau_figure --task {wildcards.task} --feature {wildcards.feature} "
        "--attributions {input.attributions:q} --targets {params.targets:q} --out {output:q} 2> {log:q}"
