# The organisers' per-video feature CSVs, or a table task's pre-computed features -> one HDF5 embedding store
# per (task, feature).
from subspace.steps import store as store_step


rule store:
    input:
        lambda w: P.store_inputs(w.task, w.feature),
    output:
        R.store("{task}", "{feature}"),
    log:
        R.log("{task}", "store", "{feature}"),
    benchmark:
        R.benchmark("{task}", "store", "{feature}")
    wildcard_constraints:
        feature="|".join(P.store_features()) or "(?!)",
    # Snakemake stats every input of every waiting job each time it schedules; this job lists
    # every feature CSV, so it starts as soon as it can instead of waiting in the queue
    priority: 10
    conda:
        "../../envs/data.yaml"
    resources:
        mem_mb=4000,
        runtime=60,
    params:
        code=code("store"),
        data=lambda w: P.data_fingerprint(w.task, P.store_inputs(w.task, w.feature)),
        spec=lambda w: spec_json(store_step.spec(CFG, w.task, w.feature)),
    # one line instead of every feature CSV it reads (18,000 on MuSe-Mimic)
    message:
        "store: {wildcards.task}/{wildcards.feature} from its files (log: {log})"
    shell:
        "python -m subspace store --task {wildcards.task} --feature {wildcards.feature} --spec {params.spec:q} "
        "--out {output:q} 2> {log:q}"
