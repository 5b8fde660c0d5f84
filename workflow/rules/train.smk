# Decoders: the full one on every dimension, and reduced ones on each threshold's selection.
# One job trains every seed of a (task, feature, variant): a demo-sized decoder trains in seconds,
# about what starting a job costs, and each seed still gets its own checkpoint and metrics.


rule train:
    input:
        embeddings=f"{RESULTS}/{{task}}/embeddings/{{feature}}.h5",
        selection=selection_input,
        code=code("store", "decoder", "train", "metrics"),
    output:
        models=seed_outputs("model.pt"),
        predictions=seed_outputs("predictions.csv"),
        metrics=seed_outputs("metrics.json"),
    log:
        f"{RESULTS}/logs/{{task}}/train/{{feature}}/{{variant}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/{{task}}/train/{{feature}}/{{variant}}.tsv"
    conda:
        "../../envs/train.yaml"
    threads: config.get("threads_per_job", 1)
    resources:
        gpu=config["training"].get("gpu", 0),
        mem_mb=4000,
        runtime=lambda w: 60 * len(SEEDS),
    params:
        device=decoder_device(),
        spec=lambda w: spec_json(train_spec(w.task, w.feature)),
        selection=lambda w, input: ["--selection", input.selection] if input.selection else [],
        seeds=" ".join(map(str, SEEDS)),
        out_dirs=lambda w, output: [str(Path(m).parent) for m in output.metrics],
    shell:
        "python -m subspace train --embeddings {input.embeddings:q} --spec {params.spec:q} --seed {params.seeds} "
        "{params.selection:q} --out-dir {params.out_dirs:q} --threads {threads} --device {params.device} 2> {log:q}"
