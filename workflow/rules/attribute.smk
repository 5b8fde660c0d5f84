# Integrated Gradients over the training partition with the best seed's full decoder.
from subspace.steps import attribute as attribute_step


rule attribute:
    input:
        embeddings=R.store("{task}", "{feature}"),
        models=lambda w: P.seed_files(w.task, w.feature, "full", "model.pt"),
        metrics=lambda w: P.seed_files(w.task, w.feature, "full", "metrics.json"),
    output:
        R.attribution("{task}", "{feature}"),
    log:
        R.log("{task}", "attribute", "{feature}"),
    benchmark:
        R.benchmark("{task}", "attribute", "{feature}")
    conda:
        "../../envs/train.yaml"
    threads: THREADS
    resources:
        gpu=DECODER.gpus,
        mem_mb=4000,
        runtime=240,
    params:
        code=code("attribute"),
        device=DECODER.device,
        spec=spec_json(attribute_step.spec(CFG)),
        model_dirs=lambda w, input: [str(Path(m).parent) for m in input.models],
    shell:
        "python -m subspace attribute --embeddings {input.embeddings:q} --model-dirs {params.model_dirs:q} "
        "--spec {params.spec:q} --out {output:q} --threads {threads} --device {params.device} 2> {log:q}"
