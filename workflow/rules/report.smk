# Tables in the paper's form and the sorted attribution figures.


rule table:
    input:
        table_inputs,
        code=code("tables", "metrics"),
    output:
        csv=f"{RESULTS}/{{task}}/tables/full_vs_reduced.csv",
        md=f"{RESULTS}/{{task}}/tables/full_vs_reduced.md",
    log:
        f"{RESULTS}/logs/{{task}}/table.log",
    benchmark:
        f"{RESULTS}/benchmarks/{{task}}/table.tsv"
    conda:
        "../../envs/plot.yaml"
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        spec=lambda w: spec_json(table_spec(w.task)),
    shell:
        "python -m subspace table --task {wildcards.task} --spec {params.spec:q} --csv {output.csv:q} --md {output.md:q} "
        "2> {log:q}"


rule planted_recovery:
    input:
        planted=lambda w: demo_files(w.task)["planted"],
        selections=lambda w: list(planted_selections(w.task).values()),
        code=code("tables", "select"),
    output:
        csv=f"{RESULTS}/{{task}}/tables/planted_recovery.csv",
        md=f"{RESULTS}/{{task}}/tables/planted_recovery.md",
    log:
        f"{RESULTS}/logs/{{task}}/planted_recovery.log",
    benchmark:
        f"{RESULTS}/benchmarks/{{task}}/planted_recovery.tsv"
    conda:
        "../../envs/plot.yaml"
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        spec=lambda w: spec_json({"selections": planted_selections(w.task), "truth": planted_truth(w.task)}),
    shell:
        "python -m subspace recovery --task {wildcards.task} --planted {input.planted:q} --spec {params.spec:q} "
        "--csv {output.csv:q} --md {output.md:q} 2> {log:q}"


rule plot_attributions:
    input:
        attributions=lambda w: [f"{RESULTS}/{w.task}/attribution/{f}.h5" for f in features(w.task)],
        code=code("store", "plot", "select"),
    output:
        mean=[
            (
                report(
                    p, caption="../report/attribution_mean.rst", category="{task}", subcategory="attribution figures"
                )
                if p.endswith(".png")
                else p
            )
            for p in figure_paths("{task}", "mean")
        ],
        std=[
            (
                report(
                    p, caption="../report/attribution_std.rst", category="{task}", subcategory="attribution figures"
                )
                if p.endswith(".png")
                else p
            )
            for p in figure_paths("{task}", "std")
        ],
    log:
        f"{RESULTS}/logs/{{task}}/plot_attributions.log",
    benchmark:
        f"{RESULTS}/benchmarks/{{task}}/plot_attributions.tsv"
    conda:
        "../../envs/plot.yaml"
    resources:
        mem_mb=2000,
        runtime=5,
    params:
        spec=lambda w, output: spec_json(
            {
                "attributions": {f: f"{RESULTS}/{w.task}/attribution/{f}.h5" for f in features(w.task)},
                "mean_out": list(output.mean),
                "std_out": list(output.std),
                "thresholds": THRESHOLDS,
            }
        ),
    shell:
        "python -m subspace plot --task {wildcards.task} --spec {params.spec:q} 2> {log:q}"


rule paper_table:
    input:
        unpack(paper_table_inputs),
        code=code("paper", "metrics"),
    output:
        csv=f"{RESULTS}/{{task}}/tables/paper_vs_run.csv",
        md=f"{RESULTS}/{{task}}/tables/paper_vs_run.md",
    log:
        f"{RESULTS}/logs/{{task}}/paper_table.log",
    benchmark:
        f"{RESULTS}/benchmarks/{{task}}/paper_table.tsv"
    conda:
        "../../envs/plot.yaml"
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        spec=lambda w: spec_json(paper_table_spec(w.task)),
    shell:
        "python -m subspace paper-table --task {wildcards.task} --spec {params.spec:q} --csv {output.csv:q} "
        "--md {output.md:q} 2> {log:q}"
