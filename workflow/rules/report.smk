# Tables in the paper's form and the sorted attribution figures.
from subspace.steps import paper_table as paper_step
from subspace.steps import planted_recovery as recovery_step
from subspace.steps import plot_attributions as plot_step
from subspace.steps import plot_classes as classes_step
from subspace.steps import table as table_step
from subspace.steps import summary as run_summary_step
from subspace.steps import task_summary as summary_step


rule table:
    input:
        lambda w: table_step.spec_files(table_step.spec(CFG, w.task)),
    output:
        csv=R.table("{task}", "full_vs_reduced", "csv"),
        md=R.table("{task}", "full_vs_reduced", "md"),
    log:
        R.log("{task}", "table"),
    benchmark:
        R.benchmark("{task}", "table")
    conda:
        "../../envs/plot.yaml"
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        code=code("table"),
        spec=lambda w: spec_json(table_step.spec(CFG, w.task)),
    shell:
        "python -m subspace table --task {wildcards.task} --spec {params.spec:q} --csv {output.csv:q} --md {output.md:q} "
        "2> {log:q}"


rule planted_recovery:
    input:
        planted=lambda w: P.demo_files(w.task)["planted"],
        selections=lambda w: list(recovery_step.spec(CFG, w.task)["selections"].values()),
    output:
        csv=R.table("{task}", "planted_recovery", "csv"),
        md=R.table("{task}", "planted_recovery", "md"),
    log:
        R.log("{task}", "planted_recovery"),
    benchmark:
        R.benchmark("{task}", "planted_recovery")
    conda:
        "../../envs/plot.yaml"
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        code=code("planted_recovery"),
        spec=lambda w: spec_json(recovery_step.spec(CFG, w.task)),
    shell:
        "python -m subspace planted_recovery --task {wildcards.task} --planted {input.planted:q} --spec {params.spec:q} "
        "--csv {output.csv:q} --md {output.md:q} 2> {log:q}"


rule plot_attributions:
    input:
        attributions=lambda w: [R.attribution(w.task, f) for f in CFG.tasks[w.task].features],
    output:
        mean=[
            report(
                R.figure("{task}", "attribution_mean", "png"),
                caption="../report/attribution_mean.rst",
                category="{task}",
                subcategory=sections.ATTRIBUTIONS,
                labels=sections.label("mean |IG| per dimension, sorted (figure)"),
            ),
            R.figure("{task}", "attribution_mean", "pdf"),
        ],
        std=[
            report(
                R.figure("{task}", "attribution_std", "png"),
                caption="../report/attribution_std.rst",
                category="{task}",
                subcategory=sections.ATTRIBUTIONS,
                labels=sections.label("std of IG per dimension, in the mean's order (figure)"),
            ),
            R.figure("{task}", "attribution_std", "pdf"),
        ],
    log:
        R.log("{task}", "plot_attributions"),
    benchmark:
        R.benchmark("{task}", "plot_attributions")
    conda:
        "../../envs/plot.yaml"
    resources:
        mem_mb=2000,
        runtime=5,
    params:
        code=code("plot_attributions"),
        spec=lambda w, output: spec_json(plot_step.spec(CFG, w.task, output.mean, output.std)),
    shell:
        "python -m subspace plot_attributions --task {wildcards.task} --spec {params.spec:q} 2> {log:q}"


rule plot_classes:
    input:
        lambda w: list(classes_step.spec(CFG, w.task)["attributions"].values()),
    output:
        report(
            R.figure("{task}", "attribution_classes", "png"),
            caption="../report/attribution_classes.rst",
            category="{task}",
            subcategory=sections.ATTRIBUTIONS,
            labels=sections.label("per-class attribution (figure)"),
        ),
        R.figure("{task}", "attribution_classes", "pdf"),
    log:
        R.log("{task}", "plot_classes"),
    benchmark:
        R.benchmark("{task}", "plot_classes")
    conda:
        "../../envs/plot.yaml"
    resources:
        mem_mb=2000,
        runtime=5,
    params:
        code=code("plot_classes"),
        spec=lambda w: spec_json(classes_step.spec(CFG, w.task)),
    shell:
        "python -m subspace plot_classes --task {wildcards.task} --spec {params.spec:q} --out {output:q} 2> {log:q}"


rule paper_table:
    input:
        lambda w: paper_step.spec_files(paper_step.spec(CFG, w.task)),
    output:
        csv=R.table("{task}", "paper_vs_run", "csv"),
        md=R.table("{task}", "paper_vs_run", "md"),
    log:
        R.log("{task}", "paper_table"),
    benchmark:
        R.benchmark("{task}", "paper_table")
    conda:
        "../../envs/plot.yaml"
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        code=code("paper_table"),
        spec=lambda w: spec_json(paper_step.spec(CFG, w.task)),
    shell:
        "python -m subspace paper_table --task {wildcards.task} --spec {params.spec:q} --csv {output.csv:q} "
        "--md {output.md:q} 2> {log:q}"


rule task_summary:
    input:
        lambda w: summary_step.spec_files(summary_step.spec(CFG, w.task)),
    output:
        html=report(
            R.summary("{task}", "html"),
            caption="../report/summary.rst",
            category="{task}",
            subcategory=sections.SUMMARY,
            labels=sections.label("which dimensions, how much smaller, how good"),
        ),
        text=R.summary("{task}", "txt"),
    log:
        R.log("{task}", "task_summary"),
    benchmark:
        R.benchmark("{task}", "task_summary")
    conda:
        "../../envs/plot.yaml"
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        code=code("task_summary"),
        spec=lambda w: spec_json(summary_step.spec(CFG, w.task)),
    shell:
        "python -m subspace task_summary --spec {params.spec:q} --html {output.html:q} --text {output.text:q} "
        "2> {log:q}"
