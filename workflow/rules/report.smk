# Per-site reports (notebook 30, in batches of sites: common.smk) and, in the last batch's kernel, the summary
# (notebook 40, which also writes the index page), all quoting their headline numbers from one
# disclosure-controlled table, key_figures.csv.


rule key_figures:
    input:
        models="data/processed/{project}/models/summary.json",
        participants="data/processed/{project}/participants.parquet",
        config=project_config_files,
        code=code_inputs(modules=["analysis.reports.key_figures"]),
    output:
        "reports/{project}/key_figures.csv",
    log:
        "logs/{project}/key_figures.log",
    benchmark:
        "logs/{project}/benchmarks/key_figures.tsv"
    localrule: True
    conda:
        "../envs/brobygning.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    params:
        python=PYTHON,
        source=SOURCE_DIR,
    shell:
        "PYTHONPATH={params.source} {params.python} -m analysis.reports.key_figures {wildcards.project} {output} > {log} 2>&1"


for number, batch in enumerate(REPORT_BATCHES, start=1):
    last = number == len(REPORT_BATCHES)  # the last (smallest) batch also renders the summary and the index

    rule:
        name:
            f"reports_{number}"
        input:
            **({"summary_notebook": SUMMARY_NOTEBOOK} if last else {}),
            models="data/processed/{project}/models/summary.json",
            participants="data/processed/{project}/participants.parquet",
            responses="data/processed/{project}/responses.parquet",
            quality=expand("data/processed/{{project}}/sites/{site}/quality.json", site=SITES),
            key_figures="reports/{project}/key_figures.csv",
            config=project_config_files,
            code=code_inputs(
                NOTEBOOK_DIR / "30_site_report.ipynb",
                *([SUMMARY_NOTEBOOK] if last else []),
                modules=["analysis.reports.html"],
            ),
            notebook=NOTEBOOK_DIR / "30_site_report.ipynb",
        output:
            **(summary_outputs() if last else {}),
            notebook=[f"reports/{{project}}/notebooks/30_site_report_{site}.ipynb" for site in batch],
            html=[
                report(
                    f"reports/{{project}}/sites/{site}.html",
                    caption="../report/site_report.rst",
                    category="Site reports",
                    labels={"site": site},
                )
                for site in batch
            ],
        log:
            f"logs/{{project}}/reports_{number}.log",
        benchmark:
            f"logs/{{project}}/benchmarks/reports_{number}.tsv"
        priority: len(batch)  # the longest first: the last batch, with the summary, fills in beside it
        conda:
            "../envs/brobygning.yaml"
        threads: 1
        resources:
            mem_mb=1500,
            runtime=5 + 2 * len(batch) + 5 * last,
        params:
            each=batch,
            names=[PROJECT.site(site)["name"] for site in batch],
            then=summary_run() if last else "",
        shell:
            papermill({"project": "{wildcards.project}"}, html=True, each="site", then=True)
