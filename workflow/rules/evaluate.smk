# Evaluation beyond the paper: a top-k sweep (IG vs a random control vs Saliency, InputXGradient and
# statistical rankings), the stability of the selection across seeds, cross-task sub-spaces, the
# attribution input-scale check, and HTML tables for the report.
#
# Retraining is grouped: one job trains every k of one (feature, method, seed). A training on the
# demo takes 1-2 s but a job ~6 s (Python, torch and the HDF5 store load each time), so one job per
# (method, k) would spend most of the time starting up; (method, seed) jobs still run in parallel.


wildcard_constraints:
    method="|".join(EVAL_METHODS) or "none",
    folder=r"tables|evaluation/topk",
    other="|".join(TASKS),
    other_feature="[A-Za-z0-9_-]+",


rule rank:
    input:
        embeddings=f"{RESULTS}/{{task}}/embeddings/{{feature}}.h5",
        attributions=f"{RESULTS}/{{task}}/attribution/{{feature}}.h5",
        models=lambda w: full_models(w.task, w.feature),
        code=code("store", "decoder", "train", "attribute", "evaluate"),
    output:
        f"{RESULTS}/{{task}}/evaluation/rankings/{{feature}}.json",
    log:
        f"{RESULTS}/logs/{{task}}/rank/{{feature}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/{{task}}/rank/{{feature}}.tsv"
    conda:
        "../../envs/train.yaml"
    threads: config.get("threads_per_job", 1)
    resources:
        gpu=config["training"].get("gpu", 0),
        mem_mb=4000,
        runtime=60,
    params:
        device=decoder_device(),
        methods=spec_json(EVAL_METHODS),
        random_seed=EVAL.get("random_seed", 0),
        batch_size=EVAL.get("batch_size", 128),
        task_type=lambda w: task_cfg(w.task)["type"],
    shell:
        "python -m subspace rank --embeddings {input.embeddings:q} --attributions {input.attributions:q} "
        "--methods {params.methods:q} --task-type {params.task_type} --random-seed {params.random_seed} "
        "--batch-size {params.batch_size} --threads {threads} --device {params.device} --out {output:q} 2> {log:q}"


rule topk_train:
    input:
        embeddings=f"{RESULTS}/{{task}}/embeddings/{{feature}}.h5",
        rankings=f"{RESULTS}/{{task}}/evaluation/rankings/{{feature}}.json",
        code=code("store", "decoder", "train", "metrics", "evaluate"),
    output:
        summary=f"{RESULTS}/{{task}}/evaluation/topk/{{feature}}/{{method}}/seed{{seed}}.json",
        models=directory(f"{RESULTS}/{{task}}/evaluation/topk/{{feature}}/{{method}}/seed{{seed}}"),
    log:
        f"{RESULTS}/logs/{{task}}/topk_train/{{feature}}/{{method}}/seed{{seed}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/{{task}}/topk_train/{{feature}}/{{method}}/seed{{seed}}.tsv"
    conda:
        "../../envs/train.yaml"
    threads: config.get("threads_per_job", 1)
    resources:
        gpu=config["training"].get("gpu", 0),
        mem_mb=4000,
        runtime=240,
    params:
        device=decoder_device(),
        spec=lambda w: spec_json(train_spec(w.task, w.feature)),
        k=spec_json(EVAL.get("k", [])),
    shell:
        "python -m subspace topk-train --embeddings {input.embeddings:q} --rankings {input.rankings:q} "
        "--method {wildcards.method} --k {params.k:q} --spec {params.spec:q} --seed {wildcards.seed} "
        "--models-dir {output.models:q} --out {output.summary:q} --threads {threads} --device {params.device} 2> {log:q}"


rule topk_table:
    input:
        records=lambda w: [p for files in topk_records(w.task, w.feature).values() for p in files],
        full=lambda w: seed_metrics(w.task, w.feature, "full"),
        full_predictions=lambda w: [
            p.replace("metrics.json", "predictions.csv") for p in seed_metrics(w.task, w.feature, "full")
        ],
        code=code("evaluate", "evaltables", "metrics", "select", "plot"),
    output:
        csv=f"{RESULTS}/{{task}}/evaluation/topk/{{feature}}.csv",
        md=f"{RESULTS}/{{task}}/evaluation/topk/{{feature}}.md",
        png=report(
            f"{RESULTS}/{{task}}/figures/topk_{{feature}}.png",
            caption="../report/topk.rst",
            category="{task}",
            subcategory="top-k sweep",
        ),
        pdf=f"{RESULTS}/{{task}}/figures/topk_{{feature}}.pdf",
    log:
        f"{RESULTS}/logs/{{task}}/topk_table/{{feature}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/{{task}}/topk_table/{{feature}}.tsv"
    conda:
        "../../envs/plot.yaml"
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        spec=lambda w: spec_json(
            {
                "task_type": task_cfg(w.task)["type"],
                "records": topk_records(w.task, w.feature),
                "full": seed_metrics(w.task, w.feature, "full"),
            }
        ),
    shell:
        "python -m subspace topk-table --task {wildcards.task} --feature {wildcards.feature} --spec {params.spec:q} "
        "--csv {output.csv:q} --md {output.md:q} --figures {output.png:q} {output.pdf:q} 2> {log:q}"


rule seed_attributions:
    input:
        embeddings=f"{RESULTS}/{{task}}/embeddings/{{feature}}.h5",
        attributions=f"{RESULTS}/{{task}}/attribution/{{feature}}.h5",
        models=lambda w: full_models(w.task, w.feature),
        code=code("store", "decoder", "train", "attribute"),
    output:
        f"{RESULTS}/{{task}}/evaluation/stability/{{feature}}.json",
    log:
        f"{RESULTS}/logs/{{task}}/seed_attributions/{{feature}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/{{task}}/seed_attributions/{{feature}}.tsv"
    conda:
        "../../envs/train.yaml"
    threads: config.get("threads_per_job", 1)
    resources:
        gpu=config["training"].get("gpu", 0),
        mem_mb=4000,
        runtime=480,
    params:
        device=decoder_device(),
        spec=spec_json(config["attribution"]),
        model_dirs=lambda w, input: [str(Path(m).parent) for m in input.models],
    shell:
        "python -m subspace seed-attributions --embeddings {input.embeddings:q} --attributions {input.attributions:q} "
        "--model-dirs {params.model_dirs:q} --spec {params.spec:q} --out {output:q} --threads {threads} --device {params.device} 2> {log:q}"


rule stability:
    input:
        lambda w: list(stability_inputs(w.task).values()),
        code=code("evaluate", "evaltables", "select"),
    output:
        csv=f"{RESULTS}/{{task}}/tables/selection_stability.csv",
        md=f"{RESULTS}/{{task}}/tables/selection_stability.md",
    log:
        f"{RESULTS}/logs/{{task}}/stability.log",
    benchmark:
        f"{RESULTS}/benchmarks/{{task}}/stability.tsv"
    conda:
        "../../envs/plot.yaml"
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        spec=lambda w: spec_json({"features": stability_inputs(w.task), "thresholds": THRESHOLDS}),
    shell:
        "python -m subspace stability --task {wildcards.task} --spec {params.spec:q} --csv {output.csv:q} "
        "--md {output.md:q} 2> {log:q}"


rule attribution_checks:
    input:
        lambda w: list(attribution_files(w.task).values()),
        code=code("evaltables", "evaluate", "select", "store"),
    output:
        csv=f"{RESULTS}/{{task}}/tables/attribution_checks.csv",
        md=f"{RESULTS}/{{task}}/tables/attribution_checks.md",
    log:
        f"{RESULTS}/logs/{{task}}/attribution_checks.log",
    benchmark:
        f"{RESULTS}/benchmarks/{{task}}/attribution_checks.tsv"
    conda:
        "../../envs/plot.yaml"
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        spec=lambda w: spec_json(attribution_files(w.task)),
    shell:
        "python -m subspace attribution-checks --task {wildcards.task} --spec {params.spec:q} --csv {output.csv:q} "
        "--md {output.md:q} 2> {log:q}"


rule cross_train:
    input:
        embeddings=f"{RESULTS}/{{task}}/embeddings/{{feature}}.h5",
        selection=lambda w: selection_path(w.other, w.other_feature, w.threshold),
        code=code("store", "decoder", "train", "metrics", "evaluate"),
    output:
        summary=f"{RESULTS}/{{task}}/evaluation/cross_task/{{feature}}/{{other}}.{{other_feature}}/{{threshold}}.json",
        models=directory(
            f"{RESULTS}/{{task}}/evaluation/cross_task/{{feature}}/{{other}}.{{other_feature}}/{{threshold}}"
        ),
    log:
        f"{RESULTS}/logs/{{task}}/cross_train/{{feature}}/{{other}}.{{other_feature}}/{{threshold}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/{{task}}/cross_train/{{feature}}/{{other}}.{{other_feature}}/{{threshold}}.tsv"
    conda:
        "../../envs/train.yaml"
    threads: config.get("threads_per_job", 1)
    resources:
        mem_mb=4000,
        runtime=240,
    params:
        device=decoder_device(),
        spec=lambda w: spec_json(train_spec(w.task, w.feature)),
        seeds=" ".join(map(str, SEEDS)),
        random_seed=EVAL.get("random_seed", 0),
    shell:
        "python -m subspace cross-train --embeddings {input.embeddings:q} --selection {input.selection:q} "
        "--spec {params.spec:q} --seed {params.seeds} --random-seed {params.random_seed} "
        "--models-dir {output.models:q} --out {output.summary:q} --threads {threads} --device {params.device} 2> {log:q}"


rule cross_task:
    input:
        cross_task_inputs,
        code=code("evaluate", "evaltables", "metrics", "select", "store", "plot"),
    output:
        csv=f"{RESULTS}/{{task}}/tables/cross_task_{{feature}}.{{other}}.{{other_feature}}.csv",
        md=f"{RESULTS}/{{task}}/tables/cross_task_{{feature}}.{{other}}.{{other_feature}}.md",
        png=report(
            f"{RESULTS}/{{task}}/figures/cross_task_{{feature}}.{{other}}.{{other_feature}}.png",
            caption="../report/cross_task.rst",
            category="{task}",
            subcategory="cross-task sub-spaces",
        ),
        pdf=f"{RESULTS}/{{task}}/figures/cross_task_{{feature}}.{{other}}.{{other_feature}}.pdf",
    log:
        f"{RESULTS}/logs/{{task}}/cross_task/{{feature}}.{{other}}.{{other_feature}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/{{task}}/cross_task/{{feature}}.{{other}}.{{other_feature}}.tsv"
    conda:
        "../../envs/plot.yaml"
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        spec=lambda w: spec_json(cross_task_spec(w.task, w.feature, w.other, w.other_feature)),
    shell:
        "python -m subspace cross-task --spec {params.spec:q} --csv {output.csv:q} --md {output.md:q} "
        "--figures {output.png:q} {output.pdf:q} 2> {log:q}"


rule table_html:
    input:
        csv=f"{RESULTS}/{{task}}/{{folder}}/{{name}}.csv",
        code=code("evaltables"),
    output:
        report(
            f"{RESULTS}/{{task}}/{{folder}}/{{name}}.html",
            caption="../report/table.rst",
            category="{task}",
            subcategory="tables",
        ),
    log:
        f"{RESULTS}/logs/{{task}}/table_html/{{folder}}/{{name}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/{{task}}/table_html/{{folder}}/{{name}}.tsv"
    conda:
        "../../envs/plot.yaml"
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        title=lambda w: f"{w.task}: {w.name.replace('_', ' ')}" + (" (top-k sweep)" if "topk" in w.folder else ""),
        note=lambda w, input: f"Full precision in {input.csv}.",
    shell:
        "python -m subspace html-table --csv {input.csv:q} --title {params.title:q} --note {params.note:q} "
        "--out {output:q} 2> {log:q}"
