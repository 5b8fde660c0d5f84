# Decoders: the full one on every dimension, and reduced ones on each threshold's selection.


rule train:
    input:
        embeddings=f"{RESULTS}/{{task}}/embeddings/{{feature}}.h5",
        selection=selection_input,
        code=code("store", "decoder", "train", "metrics"),
    output:
        model=f"{RESULTS}/{{task}}/models/{{feature}}/{{variant}}/seed{{seed}}/model.pt",
        predictions=f"{RESULTS}/{{task}}/models/{{feature}}/{{variant}}/seed{{seed}}/predictions.csv",
        metrics=f"{RESULTS}/{{task}}/models/{{feature}}/{{variant}}/seed{{seed}}/metrics.json",
    params:
        spec=lambda w: spec_json(train_spec(w.task, w.feature)),
        selection=lambda w, input: f"--selection {input.selection}" if input.selection else "",
        out_dir=lambda w, output: str(Path(output.metrics).parent),
    log:
        f"{RESULTS}/logs/{{task}}/train/{{feature}}/{{variant}}/seed{{seed}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/{{task}}/train/{{feature}}/{{variant}}/seed{{seed}}.tsv"
    threads: config.get("threads_per_job", 1)
    conda:
        "../../envs/train.yaml"
    resources:
        mem_mb=4000,
        runtime=120,
    shell:
        "python -m subspace train --embeddings {input.embeddings} --spec {params.spec:q} --seed {wildcards.seed} "
        "{params.selection} --out-dir {params.out_dir} --threads {threads} 2> {log}"
