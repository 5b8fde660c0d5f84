# The organisers' per-video feature CSVs -> one HDF5 embedding store per (task, feature).


rule store:
    input:
        raw=raw_inputs,
        code=code("data", "store"),
    output:
        f"{RESULTS}/{{task}}/embeddings/{{feature}}.h5",
    log:
        f"{RESULTS}/logs/{{task}}/store/{{feature}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/{{task}}/store/{{feature}}.tsv"
    wildcard_constraints:
        feature="|".join(f for t in TASKS for f in csv_features(t)) or "(?!)",
    # Snakemake stats every input of every waiting job each time it schedules; this job lists
    # every feature CSV, so it starts as soon as it can instead of waiting in the queue
    priority: 10
    conda:
        "../../envs/data.yaml"
    resources:
        mem_mb=4000,
        runtime=60,
    params:
        spec=lambda w: spec_json(store_spec(w.task)),
    # one line instead of every feature CSV it reads (18,000 on MuSe-Mimic)
    message:
        "store: {wildcards.task}/{wildcards.feature} from the feature CSVs (log: {log})"
    shell:
        "python -m subspace store --task {wildcards.task} --feature {wildcards.feature} --spec {params.spec:q} "
        "--out {output:q} 2> {log:q}"
