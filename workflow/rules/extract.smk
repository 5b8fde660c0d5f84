# Raw media -> embeddings: per-feature encoders (config `encoders`, a feature's `source:`), sharded by video
# (shard k takes every n-th video) and merged into the same HDF5 store the CSV `store` rule writes. German
# transcripts can be translated (FSMT) first; the demo builds tiny models offline (demo.smk).
from subspace.steps import extract as extract_step
from subspace.steps import translate as translate_step
from subspace.torchjob import placement


rule translate:
    input:
        unpack(lambda w: P.translate_inputs(w.task, w.feature, w.shard)),
    output:
        directory(R.translated("{task}", "{feature}", "{shard}")),
    log:
        R.log("{task}", "translate", "{feature}", "{shard}"),
    benchmark:
        R.benchmark("{task}", "translate", "{feature}", "{shard}")
    conda:
        "../../envs/extract.yaml"
    threads: THREADS
    resources:
        gpu=lambda w: placement(CFG, "translate", encoder=CFG.encoders[P.encoder_of(w.task, w.feature)].translate).gpus,
        mem_mb=CFG.extraction.mem_mb,
        runtime=CFG.extraction.runtime,
    params:
        code=code("translate"),
        data=lambda w: P.data_fingerprint(w.task, P.user_files(P.translate_inputs(w.task, w.feature, w.shard))),
        spec=lambda w: spec_json(translate_step.spec(CFG, w.task, w.feature)),
        k=lambda w: w.shard.split("-of-")[0],
        n=lambda w: w.shard.split("-of-")[1],
    shell:
        "python -m subspace translate --spec {params.spec:q} --shard {params.k} --n-shards {params.n} --out {output:q} "
        "--threads {threads} 2> {log:q}"


rule extract:
    input:
        unpack(lambda w: P.extract_inputs(w.task, w.feature, w.shard)),
    output:
        R.shard("{task}", "{feature}", "{shard}"),
    log:
        R.log("{task}", "extract", "{feature}", "{shard}"),
    benchmark:
        R.benchmark("{task}", "extract", "{feature}", "{shard}")
    conda:
        "../../envs/extract.yaml"
    threads: THREADS
    resources:
        gpu=lambda w: placement(CFG, "extract", encoder=P.encoder_of(w.task, w.feature)).gpus,
        mem_mb=CFG.extraction.mem_mb,
        runtime=CFG.extraction.runtime,
    params:
        code=code("extract"),
        data=lambda w: P.data_fingerprint(w.task, P.user_files(P.extract_inputs(w.task, w.feature, w.shard))),
        spec=lambda w: spec_json(extract_step.spec(CFG, w.task, w.feature)),
        k=lambda w: w.shard.split("-of-")[0],
        n=lambda w: w.shard.split("-of-")[1],
        transcripts=lambda w, input: ["--transcripts", input.transcripts] if "transcripts" in input.keys() else [],
    shell:
        "python -m subspace extract --task {wildcards.task} --feature {wildcards.feature} --spec {params.spec:q} "
        "--shard {params.k} --n-shards {params.n} {params.transcripts:q} --out {output:q} --threads {threads} 2> {log:q}"


rule merge_embeddings:
    input:
        shards=lambda w: P.merge_shards(w.task, w.feature),
        labels=lambda w: P.label_inputs(w.task),
    output:
        R.store("{task}", "{feature}"),
    log:
        R.log("{task}", "merge_embeddings", "{feature}"),
    benchmark:
        R.benchmark("{task}", "merge_embeddings", "{feature}")
    wildcard_constraints:
        feature="|".join(P.raw_features()) or "(?!)",
    conda:
        "../../envs/extract.yaml"
    resources:
        mem_mb=CFG.extraction.merge_mem_mb,
        runtime=60,
    params:
        code=code("merge_embeddings"),
        data=lambda w: P.data_fingerprint(w.task, P.label_inputs(w.task)),
        spec=lambda w: spec_json(extract_step.spec(CFG, w.task, w.feature)),
    shell:
        "python -m subspace merge_embeddings --task {wildcards.task} --feature {wildcards.feature} "
        "--spec {params.spec:q} --shards {input.shards:q} --out {output:q} 2> {log:q}"


ruleorder: merge_embeddings > store
