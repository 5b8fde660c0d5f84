# Evaluation beyond the paper: a top-k sweep (IG vs a random control vs Saliency, InputXGradient and
# statistical rankings; its removal and control-task checks: sweep_checks.smk), the stability of the
# selection across seeds, cross-task sub-spaces, the attribution input-scale check, and HTML tables for the
# report.
#
# Retraining is grouped: one job trains every k of one (feature, method, seed). A training on the
# demo takes 1-2 s but a job ~6 s (Python, torch and the HDF5 store load each time), so one job per
# (method, k) would spend most of the time starting up; (method, seed) jobs still run in parallel.
from subspace.steps import attribution_checks as checks_step
from subspace.steps import cross_task as cross_step
from subspace.steps import stability as stability_step
from subspace.steps import table_html as html_step
from subspace.steps import topk_table as topk_step

EVAL = CFG.evaluation


wildcard_constraints:
    method="|".join(EVAL.methods) if EVAL else "none",
    folder=r"tables|evaluation/topk",
    other="|".join(TASKS),
    other_feature="[A-Za-z0-9_-]+",


rule rank:
    input:
        embeddings=R.store("{task}", "{feature}"),
        attributions=R.attribution("{task}", "{feature}"),
        models=lambda w: P.seed_files(w.task, w.feature, "full", "model.pt"),
    output:
        R.rankings("{task}", "{feature}"),
    log:
        R.log("{task}", "rank", "{feature}"),
    benchmark:
        R.benchmark("{task}", "rank", "{feature}")
    conda:
        "../../envs/train.yaml"
    threads: THREADS
    resources:
        gpu=DECODER.gpus,
        mem_mb=4000,
        runtime=60,
    params:
        code=code("rank"),
        device=DECODER.device,
        methods=spec_json(EVAL.methods if EVAL else []),
        random_seed=EVAL.random_seed if EVAL else 0,
        batch_size=EVAL.batch_size if EVAL else 0,
        task_type=lambda w: CFG.tasks[w.task].type,
    shell:
        "python -m subspace rank --embeddings {input.embeddings:q} --attributions {input.attributions:q} "
        "--methods {params.methods:q} --task-type {params.task_type} --random-seed {params.random_seed} "
        "--batch-size {params.batch_size} --threads {threads} --device {params.device} --out {output:q} 2> {log:q}"


rule topk_train:
    input:
        embeddings=R.store("{task}", "{feature}"),
        rankings=R.rankings("{task}", "{feature}"),
    output:
        summary=R.topk_record("{task}", "{feature}", "{method}", "{seed}"),
        models=directory(R.topk_models("{task}", "{feature}", "{method}", "{seed}")),
    log:
        R.log("{task}", "topk_train", "{feature}", "{method}", "seed{seed}"),
    benchmark:
        R.benchmark("{task}", "topk_train", "{feature}", "{method}", "seed{seed}")
    conda:
        "../../envs/train.yaml"
    threads: THREADS
    resources:
        gpu=DECODER.gpus,
        mem_mb=4000,
        runtime=240,
    params:
        code=code("topk_train"),
        device=DECODER.device,
        spec=lambda w: spec_json(train_step.spec(CFG, w.task, w.feature)),
        k=spec_json(EVAL.k if EVAL else []),
        removal=lambda w: "--removal" if w.feature in topk_step.chosen(CFG, w.task, "removal") else "",
    shell:
        "python -m subspace topk_train --embeddings {input.embeddings:q} --rankings {input.rankings:q} "
        "--method {wildcards.method} --k {params.k:q} --spec {params.spec:q} --seed {wildcards.seed} {params.removal} "
        "--models-dir {output.models:q} --out {output.summary:q} --threads {threads} --device {params.device} 2> {log:q}"


rule topk_table:
    input:
        records=lambda w: topk_step.record_files(CFG, w.task, w.feature),
        full=lambda w: P.seed_files(w.task, w.feature, "full", "metrics.json"),
        full_predictions=lambda w: P.seed_files(w.task, w.feature, "full", "predictions.csv"),
    output:
        csv=R.topk_table("{task}", "{feature}", "csv"),
        md=R.topk_table("{task}", "{feature}", "md"),
        png=report(
            R.figure("{task}", "topk_{feature}", "png"),
            caption="../report/topk.rst",
            category="{task}",
            subcategory=sections.EVALUATION,
            labels=lambda w: sections.label(f"top-k sweep of {w.feature} (figure)"),
        ),
        pdf=R.figure("{task}", "topk_{feature}", "pdf"),
    log:
        R.log("{task}", "topk_table", "{feature}"),
    benchmark:
        R.benchmark("{task}", "topk_table", "{feature}")
    conda:
        "../../envs/plot.yaml"
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        code=code("topk_table"),
        spec=lambda w: spec_json(topk_step.spec(CFG, w.task, w.feature)),
    shell:
        "python -m subspace topk_table --task {wildcards.task} --feature {wildcards.feature} --spec {params.spec:q} "
        "--csv {output.csv:q} --md {output.md:q} --figures {output.png:q} {output.pdf:q} 2> {log:q}"


rule seed_attributions:
    input:
        embeddings=R.store("{task}", "{feature}"),
        attributions=R.attribution("{task}", "{feature}"),
        models=lambda w: P.seed_files(w.task, w.feature, "full", "model.pt"),
    output:
        R.seed_attributions("{task}", "{feature}"),
    log:
        R.log("{task}", "seed_attributions", "{feature}"),
    benchmark:
        R.benchmark("{task}", "seed_attributions", "{feature}")
    conda:
        "../../envs/train.yaml"
    threads: THREADS
    resources:
        gpu=DECODER.gpus,
        mem_mb=4000,
        runtime=480,
    params:
        code=code("seed_attributions"),
        device=DECODER.device,
        spec=spec_json(attribute_step.spec(CFG)),
        model_dirs=lambda w, input: [str(Path(m).parent) for m in input.models],
    shell:
        "python -m subspace seed_attributions --embeddings {input.embeddings:q} --attributions {input.attributions:q} "
        "--model-dirs {params.model_dirs:q} --spec {params.spec:q} --out {output:q} --threads {threads} --device {params.device} 2> {log:q}"


rule stability:
    input:
        lambda w: list(stability_step.spec(CFG, w.task)["features"].values()),
    output:
        csv=R.table("{task}", "selection_stability", "csv"),
        md=R.table("{task}", "selection_stability", "md"),
    log:
        R.log("{task}", "stability"),
    benchmark:
        R.benchmark("{task}", "stability")
    conda:
        "../../envs/plot.yaml"
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        code=code("stability"),
        spec=lambda w: spec_json(stability_step.spec(CFG, w.task)),
    shell:
        "python -m subspace stability --task {wildcards.task} --spec {params.spec:q} --csv {output.csv:q} "
        "--md {output.md:q} 2> {log:q}"


rule attribution_checks:
    input:
        lambda w: list(checks_step.spec(CFG, w.task).values()),
    output:
        csv=R.table("{task}", "attribution_checks", "csv"),
        md=R.table("{task}", "attribution_checks", "md"),
    log:
        R.log("{task}", "attribution_checks"),
    benchmark:
        R.benchmark("{task}", "attribution_checks")
    conda:
        "../../envs/plot.yaml"
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        code=code("attribution_checks"),
        spec=lambda w: spec_json(checks_step.spec(CFG, w.task)),
    shell:
        "python -m subspace attribution_checks --task {wildcards.task} --spec {params.spec:q} --csv {output.csv:q} "
        "--md {output.md:q} 2> {log:q}"


rule cross_train:
    input:
        embeddings=R.store("{task}", "{feature}"),
        selection=lambda w: R.selection(w.other, w.other_feature, w.threshold),
    output:
        summary=R.cross_summary("{task}", "{feature}", "{other}", "{other_feature}", "{threshold}"),
        models=directory(R.cross_models("{task}", "{feature}", "{other}", "{other_feature}", "{threshold}")),
    log:
        R.log("{task}", "cross_train", "{feature}", "{other}.{other_feature}", "{threshold}"),
    benchmark:
        R.benchmark("{task}", "cross_train", "{feature}", "{other}.{other_feature}", "{threshold}")
    conda:
        "../../envs/train.yaml"
    threads: THREADS
    resources:
        gpu=DECODER.gpus,
        mem_mb=4000,
        runtime=240,
    params:
        code=code("cross_train"),
        device=DECODER.device,
        spec=lambda w: spec_json(train_step.spec(CFG, w.task, w.feature)),
        seeds=" ".join(map(str, SEEDS)),
        random_seed=EVAL.random_seed if EVAL else 0,
    shell:
        "python -m subspace cross_train --embeddings {input.embeddings:q} --selection {input.selection:q} "
        "--spec {params.spec:q} --seed {params.seeds} --random-seed {params.random_seed} "
        "--models-dir {output.models:q} --out {output.summary:q} --threads {threads} --device {params.device} 2> {log:q}"


rule cross_task:
    input:
        lambda w: cross_step.spec_files(cross_step.spec(CFG, w.task, w.feature, w.other, w.other_feature)),
    output:
        csv=R.table("{task}", "cross_task_{feature}.{other}.{other_feature}", "csv"),
        md=R.table("{task}", "cross_task_{feature}.{other}.{other_feature}", "md"),
        png=report(
            R.figure("{task}", "cross_task_{feature}.{other}.{other_feature}", "png"),
            caption="../report/cross_task.rst",
            category="{task}",
            subcategory=sections.EVALUATION,
            labels=lambda w: sections.label(f"cross-task: {w.feature}.{w.other}.{w.other_feature} (figure)"),
        ),
        pdf=R.figure("{task}", "cross_task_{feature}.{other}.{other_feature}", "pdf"),
    log:
        R.log("{task}", "cross_task", "{feature}.{other}.{other_feature}"),
    benchmark:
        R.benchmark("{task}", "cross_task", "{feature}.{other}.{other_feature}")
    conda:
        "../../envs/plot.yaml"
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        code=code("cross_task"),
        spec=lambda w: spec_json(cross_step.spec(CFG, w.task, w.feature, w.other, w.other_feature)),
    shell:
        "python -m subspace cross_task --spec {params.spec:q} --csv {output.csv:q} --md {output.md:q} "
        "--figures {output.png:q} {output.pdf:q} 2> {log:q}"


rule table_html:
    input:
        csv=R.task("{task}", "{folder}", "{name}.csv"),
        metrics=lambda w: html_step.metric_record(CFG, w.task),
    output:
        report(
            R.task("{task}", "{folder}", "{name}.html"),
            caption="../report/table.rst",
            category="{task}",
            subcategory=lambda w: sections.table_section(w.folder, w.name),
            labels=lambda w: sections.table_label(w.folder, w.name),
        ),
    log:
        R.log("{task}", "table_html", "{folder}", "{name}"),
    benchmark:
        R.benchmark("{task}", "table_html", "{folder}", "{name}")
    conda:
        "../../envs/plot.yaml"
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        code=code("table_html"),
        title=lambda w: f"{w.task}: {w.name.replace('_', ' ')}" + (" (top-k sweep)" if "topk" in w.folder else ""),
    shell:
        "python -m subspace table_html --csv {input.csv:q} --title {params.title:q} --metrics {input.metrics:q} "
        "--out {output:q} 2> {log:q}"
