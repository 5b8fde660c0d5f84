# Fine-tune wav2vec 2.0 end to end with the batch-level Pearson loss (config `finetune`): the head
# sees every final-layer dimension (variant `full`) or only a selection's kept ones (a threshold).


if "demo" in FINETUNE.get("mimic", {}):

    rule finetune_demo_mimic:
        input:
            demo=demo_files("mimic")["partition"] + demo_files("mimic")["labels"],
            code=code("finetune", "tiny_models", "data", "loss", "train", "store"),
        output:
            audio=ft_demo_files("mimic")[0],
            model=ft_demo_files("mimic")[1],
        log:
            f"{RESULTS}/logs/demo/finetune_mimic.log",
        benchmark:
            f"{RESULTS}/benchmarks/demo/finetune_mimic.tsv"
        conda:
            "../../envs/finetune.yaml"
        resources:
            mem_mb=2000,
            runtime=10,
        params:
            spec=spec_json(
                {
                    **FINETUNE["mimic"]["demo"],
                    "model": FINETUNE["mimic"]["model"],
                    "audio_dir": FINETUNE["mimic"]["audio_dir"],
                    "partition_file": task_cfg("mimic")["partition_file"],
                    "label_file": task_cfg("mimic")["label_file"],
                    "targets": task_cfg("mimic")["targets"],
                    "seed": DEMO.get("seed", 0),
                }
            ),
        # one line instead of every file it writes (thousands of CSVs or WAVs)
        message:
            "demo audio and tiny wav2vec 2.0 for fine-tuning (log: {log})"
        shell:
            "python -m subspace finetune-demo --spec {params.spec:q} 2> {log:q}"


rule finetune:
    input:
        audio=lambda w: ft_audio(w.task),
        model=lambda w: ft_model_files(w.task),
        partition=lambda w: task_cfg(w.task)["partition_file"],
        labels=lambda w: task_cfg(w.task)["label_file"],
        selection=finetune_selection,
        code=code("finetune", "data", "loss", "train", "store", "metrics", "plot"),
    output:
        model=f"{RESULTS}/{{task}}/finetune/{{variant}}/seed{{seed}}/model.pt",
        predictions=f"{RESULTS}/{{task}}/finetune/{{variant}}/seed{{seed}}/predictions.csv",
        metrics=f"{RESULTS}/{{task}}/finetune/{{variant}}/seed{{seed}}/metrics.json",
        curve=f"{RESULTS}/{{task}}/finetune/{{variant}}/seed{{seed}}/loss_curve.png",
    log:
        f"{RESULTS}/logs/{{task}}/finetune/{{variant}}/seed{{seed}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/{{task}}/finetune/{{variant}}/seed{{seed}}.tsv"
    # Snakemake stats every input of every waiting job each time it schedules; this job lists
    # every audio file, so it starts as soon as it can instead of waiting in the queue
    priority: 10
    conda:
        "../../envs/finetune.yaml"
    threads: config.get("threads_per_job", 1)
    resources:
        gpu=lambda w: ft_cfg(w.task).get("gpu", 1),
        mem_mb=lambda w: ft_cfg(w.task).get("mem_mb", 8000),
        runtime=lambda w: ft_cfg(w.task).get("runtime", 240),
    params:
        spec=lambda w: spec_json(finetune_spec(w.task)),
        selection=lambda w, input: ["--selection", input.selection] if input.selection else [],
        out_dir=lambda w, output: str(Path(output.metrics).parent),
    shell:
        "python -m subspace finetune --spec {params.spec:q} --seed {wildcards.seed} {params.selection:q} "
        "--out-dir {params.out_dir:q} --threads {threads} 2> {log:q}"
