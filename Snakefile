# The workflow is workflow/Snakefile (the catalog layout: snakedeploy and `module` directives use that
# file). This one runs it from the repository root: `snakemake --cores 2` (README.md).


include: "workflow/Snakefile"


# an included file's default target does not carry over: `all` is the default here too
rule default:
    default_target: True
    input:
        rules.all.input,
