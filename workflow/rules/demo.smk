# The demo dataset (the real MuSe layouts and sample tables with a planted relevant sub-space, fixed seed) and
# the tiny random encoders the demo's raw-media features use; only a config with a `demo` section has these rules.
from subspace.steps import demo as demo_step

DEMO_TASKS = [t for t in ("humor", "mimic") if CFG.demo is not None and getattr(CFG.demo, t) is not None]
DEMO_TASKS += [t for t in (CFG.demo.tables if CFG.demo is not None else {}) if t not in DEMO_TASKS]


for demo_task in DEMO_TASKS:

    rule:
        name:
            f"demo_{demo_task}"
        output:
            P.demo_outputs(demo_task),
        log:
            R.log("demo", demo_task),
        benchmark:
            R.benchmark("demo", demo_task)
        conda:
            "../../envs/data.yaml"
        resources:
            mem_mb=1000,
            runtime=10,
        params:
            code=code("demo"),
            kind=demo_step.kind(CFG, demo_task),
            root=lambda w, output: os.path.commonpath(output),
            spec=spec_json(demo_step.spec(CFG, demo_task)),
            targets=spec_json(CFG.tasks[demo_task].targets if demo_task in CFG.tasks else []),
            seed=CFG.demo.seed,
        # one line instead of every file it writes (thousands of CSVs or WAVs)
        message:
            f"demo data: {demo_task} (log: {{log}})"
        shell:
            "python -m subspace demo --kind {params.kind} --root {params.root:q} --spec {params.spec:q} "
            "--targets {params.targets:q} --seed {params.seed} 2> {log:q}"


if CFG.demo is not None and CFG.demo.tiny_models:

    rule tiny_model:
        output:
            directory(f"{CFG.demo.root}/models/{{kind}}"),
        log:
            R.log("tiny_model", "{kind}"),
        benchmark:
            R.benchmark("tiny_model", "{kind}")
        wildcard_constraints:
            kind="|".join(CFG.demo.tiny_models),
        conda:
            "../../envs/extract.yaml"
        resources:
            mem_mb=2000,
            runtime=10,
        params:
            code=code("tiny_model"),
            size=lambda w: spec_json(CFG.demo.tiny_models[w.kind].model_dump(exclude_none=True)),
        shell:
            "python -m subspace tiny_model --kind {wildcards.kind} --size {params.size:q} --out {output:q} 2> {log:q}"
