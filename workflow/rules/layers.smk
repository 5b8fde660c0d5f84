# Layers as features (a raw-media feature's `layers`, docs/evaluation.md#layers): each layer's full and reduced
# decoders side by side, per feature family.
from subspace.steps import layer_table as layer_step


rule layer_table:
    input:
        files=lambda w: layer_step.spec_files(layer_step.spec(CFG, w.task, w.feature)),
        model=lambda w: P.model_input(P.encoder_of(w.task, w.feature)),
    output:
        csv=R.table("{task}", "layers_{feature}", "csv"),
        md=R.table("{task}", "layers_{feature}", "md"),
        png=report(
            R.figure("{task}", "layers_{feature}", "png"),
            caption="../report/layers.rst",
            category="{task}",
            subcategory=sections.EVALUATION,
            labels=lambda w: sections.label(f"layers of {w.feature} (figure)"),
        ),
        pdf=R.figure("{task}", "layers_{feature}", "pdf"),
    log:
        R.log("{task}", "layer_table", "{feature}"),
    benchmark:
        R.benchmark("{task}", "layer_table", "{feature}")
    wildcard_constraints:
        feature="|".join(f for t in TASKS for f in layer_step.families(CFG, t)) or "(?!)",
    conda:
        "../../envs/plot.yaml"
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        code=code("layer_table"),
        spec=lambda w: spec_json(layer_step.spec(CFG, w.task, w.feature)),
    shell:
        "python -m subspace layer_table --task {wildcards.task} --feature {wildcards.feature} --spec {params.spec:q} "
        "--csv {output.csv:q} --md {output.md:q} --figures {output.png:q} {output.pdf:q} 2> {log:q}"
