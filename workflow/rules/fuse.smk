# Late fusion of the per-modality decoders (config `fusion`), and the FAU figure (config `fau_features`).


rule fuse:
    input:
        fusion_inputs,
        code=code("fuse", "metrics"),
    output:
        csv=f"{RESULTS}/{{task}}/tables/fusion.csv",
        md=f"{RESULTS}/{{task}}/tables/fusion.md",
        predictions=f"{RESULTS}/{{task}}/fusion/predictions.csv",
    log:
        f"{RESULTS}/logs/{{task}}/fuse.log",
    benchmark:
        f"{RESULTS}/benchmarks/{{task}}/fuse.tsv"
    conda:
        "../../envs/plot.yaml"
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        spec=lambda w: spec_json(fusion_spec(w.task)),
    shell:
        "python -m subspace fuse --task {wildcards.task} --spec {params.spec:q} --csv {output.csv:q} --md {output.md:q} "
        "--predictions {output.predictions:q} 2> {log:q}"


rule fau_figure:
    input:
        attributions=f"{RESULTS}/{{task}}/attribution/{{feature}}.h5",
        code=code("store", "plot", "fau"),
    output:
        fau_paths("{task}", "{feature}"),
    log:
        f"{RESULTS}/logs/{{task}}/fau_figure/{{feature}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/{{task}}/fau_figure/{{feature}}.tsv"
    conda:
        "../../envs/finetune.yaml"
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        targets=lambda w: spec_json(task_cfg(w.task)["targets"]),
    shell:
        "python -m subspace fau --task {wildcards.task} --feature {wildcards.feature} "
        "--attributions {input.attributions:q} --targets {params.targets:q} --out {output:q} 2> {log:q}"
