# Decoders: the full one on every dimension, and reduced ones on each threshold's selection.
# One job trains every seed of a (task, feature, variant): a demo-sized decoder trains in seconds,
# about what starting a job costs, and each seed still gets its own checkpoint and metrics.
from subspace.steps import train as train_step

DECODER = placement(CFG, "train")  # every decoder job: one device setting, one GPU declaration


rule train:
    input:
        embeddings=R.store("{task}", "{feature}"),
        selection=lambda w: P.selection_input(w.task, w.feature, w.variant),
    output:
        models=[R.seed_file("{task}", "{feature}", "{variant}", s, "model.pt") for s in SEEDS],
        predictions=[R.seed_file("{task}", "{feature}", "{variant}", s, "predictions.csv") for s in SEEDS],
        metrics=[R.seed_file("{task}", "{feature}", "{variant}", s, "metrics.json") for s in SEEDS],
    log:
        R.log("{task}", "train", "{feature}", "{variant}"),
    benchmark:
        R.benchmark("{task}", "train", "{feature}", "{variant}")
    conda:
        "../../envs/train.yaml"
    threads: THREADS
    resources:
        gpu=DECODER.gpus,
        mem_mb=4000,
        runtime=60 * len(SEEDS),
    params:
        code=code("train"),
        device=DECODER.device,
        spec=lambda w: spec_json(train_step.spec(CFG, w.task, w.feature)),
        selection=lambda w, input: ["--selection", input.selection] if input.selection else [],
        seeds=" ".join(map(str, SEEDS)),
        out_dirs=lambda w, output: [str(Path(m).parent) for m in output.metrics],
    shell:
        "python -m subspace train --embeddings {input.embeddings:q} --spec {params.spec:q} --seed {params.seeds} "
        "{params.selection:q} --out-dir {params.out_dirs:q} --threads {threads} --device {params.device} 2> {log:q}"
