# Per-site reports (notebook 30, in batches of sites: common.smk), the summary (notebook 40) and the index,
# all quoting their headline numbers from one disclosure-controlled table, key_figures.csv.


rule key_figures:
    input:
        models="data/processed/{project}/models/summary.json",
        participants="data/processed/{project}/participants.parquet",
        config=project_config_files,
        code=code_inputs(None, "analysis.reports.key_figures"),
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

    rule:
        name:
            f"site_reports_{number}"
        input:
            models="data/processed/{project}/models/summary.json",
            participants="data/processed/{project}/participants.parquet",
            responses="data/processed/{project}/responses.parquet",
            quality=expand("data/processed/{{project}}/sites/{site}/quality.json", site=SITES),
            key_figures="reports/{project}/key_figures.csv",
            config=project_config_files,
            code=code_inputs(NOTEBOOK_DIR / "30_site_report.ipynb", "analysis.reports.html"),
            notebook=NOTEBOOK_DIR / "30_site_report.ipynb",
        output:
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
            f"logs/{{project}}/site_reports_{number}.log",
        benchmark:
            f"logs/{{project}}/benchmarks/site_reports_{number}.tsv"
        conda:
            "../envs/brobygning.yaml"
        threads: 1
        resources:
            mem_mb=1500,
            runtime=5 + 2 * len(batch),
        params:
            each=batch,
            names=[PROJECT.site(site)["name"] for site in batch],
        shell:
            papermill({"project": "{wildcards.project}"}, html=True, each="site")


rule summary_report:
    input:
        models="data/processed/{project}/models/summary.json",
        participants="data/processed/{project}/participants.parquet",
        responses="data/processed/{project}/responses.parquet",
        quality=expand("data/processed/{{project}}/sites/{site}/quality.json", site=SITES),
        key_figures="reports/{project}/key_figures.csv",
        config=project_config_files,
        code=code_inputs(NOTEBOOK_DIR / "40_summary.ipynb", "analysis.reports.html"),
        notebook=NOTEBOOK_DIR / "40_summary.ipynb",
    output:
        notebook="reports/{project}/notebooks/40_summary.ipynb",
        html=report(
            "reports/{project}/summary.html",
            caption="../report/summary.rst",
            category="Summary",
            labels={"report": "summary"},
        ),
    log:
        "logs/{project}/summary_report.log",
    benchmark:
        "logs/{project}/benchmarks/summary_report.tsv"
    conda:
        "../envs/brobygning.yaml"
    threads: 1
    resources:
        mem_mb=1500,
        runtime=10,
    shell:
        papermill({"project": "{wildcards.project}"}, html=True)


rule index:
    input:
        sites=expand("reports/{{project}}/sites/{site}.html", site=SITES),
        summary="reports/{project}/summary.html",
        key_figures="reports/{project}/key_figures.csv",
        code=code_inputs(None, "analysis.reports.summary_report"),
    output:
        "reports/{project}/index.html",
    log:
        "logs/{project}/index.log",
    benchmark:
        "logs/{project}/benchmarks/index.tsv"
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
        "PYTHONPATH={params.source} {params.python} -m analysis.reports.summary_report {wildcards.project} {output} > {log} 2>&1"
