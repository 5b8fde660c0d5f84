# Evaluation beyond the paper: a top-k sweep (IG vs a random control vs Saliency and
# InputXGradient), the stability of the selection across seeds, and HTML tables for the report.
#
# Retraining is grouped: one job trains every k of one (feature, method, seed). A training on the
# demo takes 1-2 s but a job ~6 s (Python, torch and the HDF5 store load each time), so one job per
# (method, k) would spend most of the time starting up; (method, seed) jobs still run in parallel.

wildcard_constraints:
    method="|".join(EVAL_METHODS) or "none",
    folder=r"tables|evaluation/topk",


rule rank:
    input:
        embeddings=f"{RESULTS}/{{task}}/embeddings/{{feature}}.h5",
        attributions=f"{RESULTS}/{{task}}/attribution/{{feature}}.h5",
        models=lambda w: full_models(w.task, w.feature),
        code=code("store", "decoder", "train", "attribute", "evaluate"),
    output:
        f"{RESULTS}/{{task}}/evaluation/rankings/{{feature}}.json",
    params:
        methods=spec_json(EVAL_METHODS),
        random_seed=EVAL.get("random_seed", 0),
        batch_size=EVAL.get("batch_size", 128),
    log:
        f"{RESULTS}/logs/{{task}}/rank/{{feature}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/{{task}}/rank/{{feature}}.tsv"
    threads: config.get("threads_per_job", 1)
    conda:
        "../../envs/train.yaml"
    resources:
        gpu=config["training"].get("gpu", 0),
        mem_mb=4000,
        runtime=60,
    shell:
        "python -m subspace rank --embeddings {input.embeddings} --attributions {input.attributions} "
        "--methods {params.methods:q} --random-seed {params.random_seed} --batch-size {params.batch_size} "
        "--threads {threads} --out {output} 2> {log}"


rule topk_train:
    input:
        embeddings=f"{RESULTS}/{{task}}/embeddings/{{feature}}.h5",
        rankings=f"{RESULTS}/{{task}}/evaluation/rankings/{{feature}}.json",
        code=code("store", "decoder", "train", "metrics", "evaluate"),
    output:
        summary=f"{RESULTS}/{{task}}/evaluation/topk/{{feature}}/{{method}}/seed{{seed}}.json",
        models=directory(f"{RESULTS}/{{task}}/evaluation/topk/{{feature}}/{{method}}/seed{{seed}}"),
    params:
        spec=lambda w: spec_json(train_spec(w.task, w.feature)),
        k=spec_json(EVAL.get("k", [])),
    log:
        f"{RESULTS}/logs/{{task}}/topk_train/{{feature}}/{{method}}/seed{{seed}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/{{task}}/topk_train/{{feature}}/{{method}}/seed{{seed}}.tsv"
    threads: config.get("threads_per_job", 1)
    conda:
        "../../envs/train.yaml"
    resources:
        gpu=config["training"].get("gpu", 0),
        mem_mb=4000,
        runtime=240,
    shell:
        "python -m subspace topk-train --embeddings {input.embeddings} --rankings {input.rankings} "
        "--method {wildcards.method} --k {params.k:q} --spec {params.spec:q} --seed {wildcards.seed} "
        "--models-dir {output.models} --out {output.summary} --threads {threads} 2> {log}"


rule topk_table:
    input:
        records=lambda w: [p for files in topk_records(w.task, w.feature).values() for p in files],
        full=lambda w: seed_metrics(w.task, w.feature, "full"),
        code=code("evaluate", "evaltables", "metrics", "select", "plot"),
    output:
        csv=f"{RESULTS}/{{task}}/evaluation/topk/{{feature}}.csv",
        md=f"{RESULTS}/{{task}}/evaluation/topk/{{feature}}.md",
        png=report(f"{RESULTS}/{{task}}/figures/topk_{{feature}}.png", caption="../report/topk.rst",
                   category="{task}", subcategory="top-k sweep"),
        pdf=f"{RESULTS}/{{task}}/figures/topk_{{feature}}.pdf",
    params:
        spec=lambda w: spec_json({"task_type": task_cfg(w.task)["type"], "records": topk_records(w.task, w.feature),
                                  "full": seed_metrics(w.task, w.feature, "full")}),
    log:
        f"{RESULTS}/logs/{{task}}/topk_table/{{feature}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/{{task}}/topk_table/{{feature}}.tsv"
    conda:
        "../../envs/plot.yaml"
    resources:
        mem_mb=1000,
        runtime=5,
    shell:
        "python -m subspace topk-table --task {wildcards.task} --feature {wildcards.feature} --spec {params.spec:q} "
        "--csv {output.csv} --md {output.md} --figures {output.png} {output.pdf} 2> {log}"


rule seed_attributions:
    input:
        embeddings=f"{RESULTS}/{{task}}/embeddings/{{feature}}.h5",
        attributions=f"{RESULTS}/{{task}}/attribution/{{feature}}.h5",
        models=lambda w: full_models(w.task, w.feature),
        code=code("store", "decoder", "train", "attribute"),
    output:
        f"{RESULTS}/{{task}}/evaluation/stability/{{feature}}.json",
    params:
        spec=spec_json(config["attribution"]),
        model_dirs=lambda w, input: " ".join(str(Path(m).parent) for m in input.models),
    log:
        f"{RESULTS}/logs/{{task}}/seed_attributions/{{feature}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/{{task}}/seed_attributions/{{feature}}.tsv"
    threads: config.get("threads_per_job", 1)
    conda:
        "../../envs/train.yaml"
    resources:
        gpu=config["training"].get("gpu", 0),
        mem_mb=4000,
        runtime=480,
    shell:
        "python -m subspace seed-attributions --embeddings {input.embeddings} --attributions {input.attributions} "
        "--model-dirs {params.model_dirs} --spec {params.spec:q} --out {output} --threads {threads} 2> {log}"


rule stability:
    input:
        lambda w: list(stability_inputs(w.task).values()),
        code=code("evaluate", "evaltables", "select"),
    output:
        csv=f"{RESULTS}/{{task}}/tables/selection_stability.csv",
        md=f"{RESULTS}/{{task}}/tables/selection_stability.md",
    params:
        spec=lambda w: spec_json({"features": stability_inputs(w.task), "thresholds": THRESHOLDS}),
    log:
        f"{RESULTS}/logs/{{task}}/stability.log",
    benchmark:
        f"{RESULTS}/benchmarks/{{task}}/stability.tsv"
    conda:
        "../../envs/plot.yaml"
    resources:
        mem_mb=1000,
        runtime=5,
    shell:
        "python -m subspace stability --task {wildcards.task} --spec {params.spec:q} --csv {output.csv} "
        "--md {output.md} 2> {log}"


rule table_html:
    input:
        csv=f"{RESULTS}/{{task}}/{{folder}}/{{name}}.csv",
        code=code("evaltables"),
    output:
        report(f"{RESULTS}/{{task}}/{{folder}}/{{name}}.html", caption="../report/table.rst",
               category="{task}", subcategory="tables"),
    params:
        title=lambda w: f"{w.task}: {w.name.replace('_', ' ')}" + (" (top-k sweep)" if "topk" in w.folder else ""),
        note=lambda w, input: f"Full precision in {input.csv}.",
    log:
        f"{RESULTS}/logs/{{task}}/table_html/{{folder}}/{{name}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/{{task}}/table_html/{{folder}}/{{name}}.tsv"
    conda:
        "../../envs/plot.yaml"
    resources:
        mem_mb=1000,
        runtime=5,
    shell:
        "python -m subspace html-table --csv {input.csv} --title {params.title:q} --note {params.note:q} "
        "--out {output} 2> {log}"
