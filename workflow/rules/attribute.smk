# Integrated Gradients over the training partition with the best seed's full decoder.


rule attribute:
    input:
        embeddings=f"{RESULTS}/{{task}}/embeddings/{{feature}}.h5",
        models=lambda w: [f"{model_dir(w.task, w.feature, 'full', s)}/model.pt" for s in SEEDS],
        metrics=lambda w: seed_metrics(w.task, w.feature, "full"),
        code=code("store", "decoder", "train", "attribute", "evaluate"),
    output:
        f"{RESULTS}/{{task}}/attribution/{{feature}}.h5",
    log:
        f"{RESULTS}/logs/{{task}}/attribute/{{feature}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/{{task}}/attribute/{{feature}}.tsv"
    conda:
        "../../envs/train.yaml"
    threads: config.get("threads_per_job", 1)
    resources:
        gpu=config["training"].get("gpu", 0),
        mem_mb=4000,
        runtime=240,
    params:
        device=decoder_device(),
        spec=spec_json(config["attribution"]),
        model_dirs=lambda w, input: [str(Path(m).parent) for m in input.models],
    shell:
        "python -m subspace attribute --embeddings {input.embeddings:q} --model-dirs {params.model_dirs:q} "
        "--spec {params.spec:q} --out {output:q} --threads {threads} --device {params.device} 2> {log:q}"
