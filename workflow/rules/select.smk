# Keep the dimensions whose mean attribution is above each configured threshold.


rule select:
    input:
        attributions=f"{RESULTS}/{{task}}/attribution/{{feature}}.h5",
        code=code("store", "select"),
    output:
        f"{RESULTS}/{{task}}/selection/{{feature}}/{{threshold}}.json",
    log:
        f"{RESULTS}/logs/{{task}}/select/{{feature}}/{{threshold}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/{{task}}/select/{{feature}}/{{threshold}}.tsv"
    conda:
        "../../envs/train.yaml"
    resources:
        mem_mb=1000,
        runtime=5,
    shell:
        "python -m subspace select --attributions {input.attributions} --threshold {wildcards.threshold} "
        "--out {output} 2> {log}"
