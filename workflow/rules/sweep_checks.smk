# The top-k sweep's two checks (docs/evaluation.md): each ranking's top k removed (evaluation.removal; the
# trainings run inside the sweep's topk_train jobs, this file only tables them) and a control task of labels
# permuted within groups (evaluation.control): one control_train job per feature repeats the sweep on the
# control labels, and topk_control tables selectivity = task - control. With selection.ranking auto, the
# selection takes the sweep's best ranking (select.smk) and ranking_choice tables the choice.
from subspace.steps import control_train as control_step
from subspace.steps import ranking_choice as choice_step
from subspace.steps import topk_control as control_table_step
from subspace.steps import topk_table as topk_step


rule topk_removal:
    input:
        records=lambda w: topk_step.record_files(CFG, w.task, w.feature),
        full=lambda w: P.seed_files(w.task, w.feature, "full", "metrics.json"),
        full_predictions=lambda w: P.seed_files(w.task, w.feature, "full", "predictions.csv"),
    output:
        csv=R.topk_table("{task}", "{feature}.removal", "csv"),
        md=R.topk_table("{task}", "{feature}.removal", "md"),
        png=report(
            R.figure("{task}", "topk_{feature}.removal", "png"),
            caption="../report/topk_removal.rst",
            category="{task}",
            subcategory=sections.EVALUATION,
            labels=lambda w: sections.label(f"top-k kept vs removed, {w.feature} (figure)"),
        ),
        pdf=R.figure("{task}", "topk_{feature}.removal", "pdf"),
    log:
        R.log("{task}", "topk_removal", "{feature}"),
    benchmark:
        R.benchmark("{task}", "topk_removal", "{feature}")
    conda:
        "../../envs/plot.yaml"
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        code=code("topk_removal"),
        spec=lambda w: spec_json(topk_step.spec(CFG, w.task, w.feature)),
    shell:
        "python -m subspace topk_removal --task {wildcards.task} --feature {wildcards.feature} --spec {params.spec:q} "
        "--csv {output.csv:q} --md {output.md:q} --figures {output.png:q} {output.pdf:q} 2> {log:q}"


rule control_train:
    input:
        embeddings=R.store("{task}", "{feature}"),
    output:
        summary=R.control_record("{task}", "{feature}"),
        models=directory(R.control_models("{task}", "{feature}")),
    log:
        R.log("{task}", "control_train", "{feature}"),
    benchmark:
        R.benchmark("{task}", "control_train", "{feature}")
    conda:
        "../../envs/train.yaml"
    threads: THREADS
    resources:
        gpu=DECODER.gpus,
        mem_mb=4000,
        runtime=480,
    params:
        code=code("control_train"),
        device=DECODER.device,
        spec=lambda w: spec_json(control_step.spec(CFG, w.task, w.feature)),
    shell:
        "python -m subspace control_train --embeddings {input.embeddings:q} --spec {params.spec:q} "
        "--models-dir {output.models:q} --out {output.summary:q} --threads {threads} --device {params.device} 2> {log:q}"


rule topk_control:
    input:
        records=lambda w: topk_step.record_files(CFG, w.task, w.feature),
        full=lambda w: P.seed_files(w.task, w.feature, "full", "metrics.json"),
        full_predictions=lambda w: P.seed_files(w.task, w.feature, "full", "predictions.csv"),
        control=R.control_record("{task}", "{feature}"),
    output:
        csv=R.topk_table("{task}", "{feature}.control", "csv"),
        md=R.topk_table("{task}", "{feature}.control", "md"),
    log:
        R.log("{task}", "topk_control", "{feature}"),
    benchmark:
        R.benchmark("{task}", "topk_control", "{feature}")
    conda:
        "../../envs/plot.yaml"
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        code=code("topk_control"),
        spec=lambda w: spec_json(control_table_step.spec(CFG, w.task, w.feature)),
    shell:
        "python -m subspace topk_control --task {wildcards.task} --feature {wildcards.feature} --spec {params.spec:q} "
        "--csv {output.csv:q} --md {output.md:q} 2> {log:q}"


rule ranking_choice:
    input:
        lambda w: [
            p for files in choice_step.spec(CFG, w.task)["features"].values() for ps in files.values() for p in ps
        ],
    output:
        csv=R.table("{task}", "ranking_choice", "csv"),
        md=R.table("{task}", "ranking_choice", "md"),
    log:
        R.log("{task}", "ranking_choice"),
    benchmark:
        R.benchmark("{task}", "ranking_choice")
    conda:
        "../../envs/plot.yaml"
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        code=code("ranking_choice"),
        spec=lambda w: spec_json(choice_step.spec(CFG, w.task)),
    shell:
        "python -m subspace ranking_choice --task {wildcards.task} --spec {params.spec:q} --csv {output.csv:q} "
        "--md {output.md:q} 2> {log:q}"
