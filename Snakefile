# Brobygning workflow: raw exports -> clean per site -> pooled tables -> retention models -> reports.
# Run from the project root: `make run`, or `snakemake --profile profiles/default --config project=<name>`.
from snakemake.utils import min_version, validate

min_version("9.0")


configfile: "config/config.yaml"


report: "workflow/report/workflow.rst"


validate(config, "workflow/schemas/workflow.schema.yaml")


include: "workflow/rules/common.smk"
include: "workflow/rules/clean.smk"
include: "workflow/rules/model.smk"
include: "workflow/rules/report.smk"


rule all:
    input:
        final_outputs(),
    default_target: True
