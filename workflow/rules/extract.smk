# Raw media -> embeddings (input functions in common.smk).


if TINY:

    rule tiny_model:
        input:
            code=code("tiny_models"),
        output:
            directory(f"{DEMO_ROOT}/models/{{kind}}"),
        log:
            f"{RESULTS}/logs/tiny_model/{{kind}}.log",
        benchmark:
            f"{RESULTS}/benchmarks/tiny_model/{{kind}}.tsv"
        wildcard_constraints:
            kind="|".join(TINY),
        conda:
            "../../envs/extract.yaml"
        resources:
            mem_mb=2000,
            runtime=10,
        params:
            size=lambda w: spec_json(TINY[w.kind]),
        shell:
            "python -m subspace tiny-model --kind {wildcards.kind} --size {params.size:q} --out {output:q} 2> {log:q}"


rule translate:
    input:
        labels=lambda w: label_inputs(w.task),
        media=lambda w: shard_media(w.task, w.feature, w.shard, ["transcript"]),
        model=lambda w: model_input(ENCODERS[encoder_of(w.task, w.feature)["translate"]]),
        code=code("media", "embed", "data", "store"),
    output:
        directory(f"{RESULTS}/{{task}}/translated/{{feature}}/{{shard}}"),
    log:
        f"{RESULTS}/logs/{{task}}/translate/{{feature}}/{{shard}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/{{task}}/translate/{{feature}}/{{shard}}.tsv"
    wildcard_constraints:
        shard=r"\d+-of-\d+",
    conda:
        "../../envs/extract.yaml"
    threads: config.get("threads_per_job", 1)
    resources:
        gpu=gpu_resources(),
        mem_mb=EXTRACTION.get("mem_mb", 8000),
        runtime=EXTRACTION.get("runtime", 240),
    params:
        spec=lambda w: spec_json(dict(store_spec(w.task), encoder=ENCODERS[encoder_of(w.task, w.feature)["translate"]])),
        k=lambda w: w.shard.split("-of-")[0],
        n=lambda w: w.shard.split("-of-")[1],
    shell:
        "python -m subspace translate --spec {params.spec:q} --shard {params.k} --n-shards {params.n} --out {output:q} "
        "--threads {threads} 2> {log:q}"


rule extract:
    input:
        unpack(extract_inputs),
        code=code("media", "embed", "data", "store"),
    output:
        f"{RESULTS}/{{task}}/shards/{{feature}}/{{shard}}.h5",
    log:
        f"{RESULTS}/logs/{{task}}/extract/{{feature}}/{{shard}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/{{task}}/extract/{{feature}}/{{shard}}.tsv"
    wildcard_constraints:
        shard=r"\d+-of-\d+",
    conda:
        "../../envs/extract.yaml"
    threads: config.get("threads_per_job", 1)
    resources:
        gpu=gpu_resources(),
        mem_mb=EXTRACTION.get("mem_mb", 8000),
        runtime=EXTRACTION.get("runtime", 240),
    params:
        spec=lambda w: spec_json(extract_spec(w.task, w.feature)),
        k=lambda w: w.shard.split("-of-")[0],
        n=lambda w: w.shard.split("-of-")[1],
        transcripts=lambda w, input: ["--transcripts", input.transcripts] if "transcripts" in input.keys() else [],
    shell:
        "python -m subspace extract --task {wildcards.task} --feature {wildcards.feature} --spec {params.spec:q} "
        "--shard {params.k} --n-shards {params.n} {params.transcripts:q} --out {output:q} --threads {threads} 2> {log:q}"


rule merge_embeddings:
    input:
        shards=lambda w: [f"{RESULTS}/{w.task}/shards/{w.feature}/{s}.h5" for s in shard_ids(w.task, w.feature)],
        labels=lambda w: label_inputs(w.task),
        code=code("media", "embed", "data", "store"),
    output:
        f"{RESULTS}/{{task}}/embeddings/{{feature}}.h5",
    log:
        f"{RESULTS}/logs/{{task}}/merge_embeddings/{{feature}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/{{task}}/merge_embeddings/{{feature}}.tsv"
    wildcard_constraints:
        feature="|".join(f for t in TASKS for f in raw_features(t)) or "(?!)",
    conda:
        "../../envs/extract.yaml"
    resources:
        mem_mb=EXTRACTION.get("merge_mem_mb", 8000),
        runtime=60,
    params:
        spec=lambda w: spec_json(extract_spec(w.task, w.feature)),
    shell:
        "python -m subspace merge --task {wildcards.task} --feature {wildcards.feature} --spec {params.spec:q} "
        "--shards {input.shards:q} --out {output:q} 2> {log:q}"


ruleorder: merge_embeddings > store
