# Retention models on the pooled data of a project (notebook 20).


rule retention:
    input:
        participants="data/processed/{project}/participants.parquet",
        config=project_config_files,
        code=code_inputs(NOTEBOOK_DIR / "20_retention.ipynb"),
        notebook=NOTEBOOK_DIR / "20_retention.ipynb",
    output:
        primary="data/processed/{project}/models/primary.parquet",
        event_study="data/processed/{project}/models/event_study.parquet",
        cox="data/processed/{project}/models/cox.parquet",
        site_effects="data/processed/{project}/models/site_effects.parquet",
        km="data/processed/{project}/models/km.parquet",
        retention_at="data/processed/{project}/models/retention_at.parquet",
        summary="data/processed/{project}/models/summary.json",
        notebook="reports/{project}/notebooks/20_retention.ipynb",
    log:
        "logs/{project}/retention.log",
    benchmark:
        "logs/{project}/benchmarks/retention.tsv"
    conda:
        "../envs/brobygning.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=20,
    shell:
        papermill({"project": "{wildcards.project}"})
