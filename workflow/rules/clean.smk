# Clean each site's raw exports (notebook 10, in batches of sites: common.smk), then pool the sites.


for number, batch in enumerate(CLEAN_BATCHES, start=1):

    rule:
        name:
            f"clean_sites_{number}"
        input:
            raw=raw_files(batch),
            config=project_config_files,
            code=code_inputs(NOTEBOOK_DIR / "10_clean.ipynb"),
            notebook=NOTEBOOK_DIR / "10_clean.ipynb",
        output:
            **site_outputs(batch),
            notebook=[f"reports/{{project}}/notebooks/10_clean_{site}.ipynb" for site in batch],
        log:
            f"logs/{{project}}/clean_sites_{number}.log",
        benchmark:
            f"logs/{{project}}/benchmarks/clean_sites_{number}.tsv"
        conda:
            "../envs/brobygning.yaml"
        threads: 1
        resources:
            mem_mb=1000,
            runtime=5 + 2 * len(batch),
        params:
            each=batch,
        shell:
            papermill({"project": "{wildcards.project}"}, each="site")


rule pool:
    input:
        quality=expand("data/processed/{{project}}/sites/{site}/quality.json", site=SITES),
        participants=expand("data/processed/{{project}}/sites/{site}/participants.parquet", site=SITES),
        responses=expand("data/processed/{{project}}/sites/{site}/responses.parquet", site=SITES),
        rejected=expand("data/processed/{{project}}/sites/{site}/rejected.csv", site=SITES),
        code=code_inputs(modules=["analysis.pool.__main__"]),
    output:
        participants="data/processed/{project}/participants.parquet",
        responses="data/processed/{project}/responses.parquet",
        rejected="data/processed/{project}/rejected.csv",
        quality="data/processed/{project}/quality.json",
    log:
        "logs/{project}/pool.log",
    benchmark:
        "logs/{project}/benchmarks/pool.tsv"
    localrule: True
    conda:
        "../envs/brobygning.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        python=PYTHON,
        source=SOURCE_DIR,
        site_dirs=lambda wildcards: [site_dir(s) for s in SITES],
    shell:
        "PYTHONPATH={params.source} {params.python} -m analysis.pool --out data/processed/{wildcards.project} {params.site_dirs} > {log} 2>&1"
