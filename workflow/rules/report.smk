# Tables in the paper's form and the sorted attribution figures.


rule table:
    input:
        table_inputs,
        code=code("tables", "metrics"),
    output:
        csv=f"{RESULTS}/{{task}}/tables/full_vs_reduced.csv",
        md=f"{RESULTS}/{{task}}/tables/full_vs_reduced.md",
    params:
        spec=lambda w: spec_json(table_spec(w.task)),
    log:
        f"{RESULTS}/logs/{{task}}/table.log",
    benchmark:
        f"{RESULTS}/benchmarks/{{task}}/table.tsv"
    conda:
        "../../envs/plot.yaml"
    resources:
        mem_mb=1000,
        runtime=5,
    shell:
        "python -m subspace table --task {wildcards.task} --spec {params.spec:q} --csv {output.csv} --md {output.md} 2> {log}"


rule planted_recovery:
    input:
        planted=lambda w: demo_files(w.task)["planted"],
        selections=lambda w: list(planted_selections(w.task).values()),
        code=code("tables", "select"),
    output:
        csv=f"{RESULTS}/{{task}}/tables/planted_recovery.csv",
        md=f"{RESULTS}/{{task}}/tables/planted_recovery.md",
    params:
        spec=lambda w: spec_json({"selections": planted_selections(w.task), "truth": planted_truth(w.task)}),
    log:
        f"{RESULTS}/logs/{{task}}/planted_recovery.log",
    benchmark:
        f"{RESULTS}/benchmarks/{{task}}/planted_recovery.tsv"
    conda:
        "../../envs/plot.yaml"
    resources:
        mem_mb=1000,
        runtime=5,
    shell:
        "python -m subspace recovery --task {wildcards.task} --planted {input.planted} --spec {params.spec:q} "
        "--csv {output.csv} --md {output.md} 2> {log}"


rule plot_attributions:
    input:
        attributions=lambda w: [f"{RESULTS}/{w.task}/attribution/{f}.h5" for f in features(w.task)],
        code=code("store", "plot", "select"),
    output:
        mean=[report(p, caption="../report/attribution_mean.rst", category="{task}", subcategory="attribution figures")
              if p.endswith(".png") else p for p in figure_paths("{task}", "mean")],
        std=[report(p, caption="../report/attribution_std.rst", category="{task}", subcategory="attribution figures")
             if p.endswith(".png") else p for p in figure_paths("{task}", "std")],
    params:
        spec=lambda w, output: spec_json({
            "attributions": {f: f"{RESULTS}/{w.task}/attribution/{f}.h5" for f in features(w.task)},
            "mean_out": list(output.mean), "std_out": list(output.std), "thresholds": THRESHOLDS,
        }),
    log:
        f"{RESULTS}/logs/{{task}}/plot_attributions.log",
    benchmark:
        f"{RESULTS}/benchmarks/{{task}}/plot_attributions.tsv"
    conda:
        "../../envs/plot.yaml"
    resources:
        mem_mb=2000,
        runtime=5,
    shell:
        "python -m subspace plot --task {wildcards.task} --spec {params.spec:q} 2> {log}"
