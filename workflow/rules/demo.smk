# The demo dataset: the real MuSe layouts with a planted relevant sub-space (fixed seed).


if "humor" in DEMO:

    rule demo_humor:
        input:
            code=code("demo"),
        output:
            demo_outputs("humor"),
        log:
            f"{RESULTS}/logs/demo/humor.log",
        benchmark:
            f"{RESULTS}/benchmarks/demo/humor.tsv"
        conda:
            "../../envs/data.yaml"
        resources:
            mem_mb=1000,
            runtime=10,
        params:
            root=lambda w, output: os.path.commonpath(output),
            spec=spec_json(DEMO.get("humor", {})),
            seed=DEMO.get("seed"),
        # one line instead of every file it writes (thousands of CSVs or WAVs)
        message:
            "demo data: humor (log: {log})"
        shell:
            "python -m subspace demo --kind humor --root {params.root:q} --spec {params.spec:q} --seed {params.seed} "
            "2> {log:q}"


if "mimic" in DEMO:

    rule demo_mimic:
        input:
            code=code("demo"),
        output:
            demo_outputs("mimic"),
        log:
            f"{RESULTS}/logs/demo/mimic.log",
        benchmark:
            f"{RESULTS}/benchmarks/demo/mimic.tsv"
        conda:
            "../../envs/data.yaml"
        resources:
            mem_mb=1000,
            runtime=10,
        params:
            root=lambda w, output: os.path.commonpath(output),
            spec=spec_json(DEMO.get("mimic", {})),
            targets=spec_json(config["tasks"].get("mimic", {}).get("targets", [])),
            seed=DEMO.get("seed"),
        # one line instead of every file it writes (thousands of CSVs or WAVs)
        message:
            "demo data: mimic (log: {log})"
        shell:
            "python -m subspace demo --kind mimic --root {params.root:q} --spec {params.spec:q} "
            "--targets {params.targets:q} --seed {params.seed} 2> {log:q}"
