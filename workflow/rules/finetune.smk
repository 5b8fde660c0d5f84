# Fine-tune wav2vec 2.0 end to end with the batch-level Pearson loss (config `finetune`): the head
# sees every final-layer dimension (variant `full`) or only a selection's kept ones (a threshold).
from subspace.steps import finetune as finetune_step
from subspace.steps import finetune_demo as finetune_demo_step

for ft_task in [t for t, f in CFG.finetune.items() if f.demo is not None]:

    rule:
        name:
            f"finetune_demo_{ft_task}"
        input:
            demo=P.label_inputs(ft_task),
        output:
            audio=P.finetune_demo_files(ft_task)[0],
            model=P.finetune_demo_files(ft_task)[1],
        log:
            R.log("demo", f"finetune_{ft_task}"),
        benchmark:
            R.benchmark("demo", f"finetune_{ft_task}")
        conda:
            "../../envs/finetune.yaml"
        resources:
            mem_mb=2000,
            runtime=10,
        params:
            code=code("finetune_demo"),
            spec=spec_json(finetune_demo_step.spec(CFG, ft_task)),
        # one line instead of every file it writes (thousands of CSVs or WAVs)
        message:
            "demo audio and tiny wav2vec 2.0 for fine-tuning (log: {log})"
        shell:
            "python -m subspace finetune_demo --spec {params.spec:q} 2> {log:q}"


rule finetune:
    input:
        unpack(lambda w: P.finetune_inputs(w.task, w.variant)),
    output:
        model=R.finetune_file("{task}", "{variant}", "{seed}", "model.pt"),
        predictions=R.finetune_file("{task}", "{variant}", "{seed}", "predictions.csv"),
        metrics=R.finetune_file("{task}", "{variant}", "{seed}", "metrics.json"),
        curve=report(
            R.finetune_file("{task}", "{variant}", "{seed}", "loss_curve.png"),
            caption="../report/finetune.rst",
            category="{task}",
            subcategory=sections.FINETUNE,
            labels=lambda w: sections.label(f"loss curve: {w.variant}, seed {w.seed} (figure)"),
        ),
    log:
        R.log("{task}", "finetune", "{variant}", "seed{seed}"),
    benchmark:
        R.benchmark("{task}", "finetune", "{variant}", "seed{seed}")
    # Snakemake stats every input of every waiting job each time it schedules; this job lists
    # every audio file, so it starts as soon as it can instead of waiting in the queue
    priority: 10
    conda:
        "../../envs/finetune.yaml"
    threads: THREADS
    resources:
        gpu=lambda w: placement(CFG, "finetune", w.task).gpus,
        mem_mb=lambda w: CFG.finetune[w.task].mem_mb,
        runtime=lambda w: CFG.finetune[w.task].runtime,
    params:
        code=code("finetune"),
        data=lambda w: P.data_fingerprint(w.task, P.user_files(P.finetune_inputs(w.task, w.variant))),
        spec=lambda w: spec_json(finetune_step.spec(CFG, w.task)),
        selection=lambda w, input: ["--selection", input.selection] if input.selection else [],
        out_dir=lambda w, output: str(Path(output.metrics).parent),
    shell:
        "python -m subspace finetune --spec {params.spec:q} --seed {wildcards.seed} {params.selection:q} "
        "--out-dir {params.out_dir:q} --threads {threads} 2> {log:q}"
