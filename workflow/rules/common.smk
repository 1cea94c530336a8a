# Helpers only: the validated project, its sites, and how notebooks are run.
import math
import os
import re
import sys
from pathlib import Path

from snakemake_interface_executor_plugins.settings import DeploymentMethod

from analysis.clean.site import SITE_OUTPUTS
from analysis.core.errors import ConfigError
from analysis.jobs.code_inputs import job_code_files
from analysis.project.loader import load_project, raw_folder_problems, site_raw_files
from analysis.reports.messages import project_message_problems

# Jobs run the interpreter Snakemake runs under (the venv `make` builds, or an activated conda env), with the
# 'brobygning' kernel `make` registers. Under --software-deployment-method conda each job runs in its rule's
# environment (workflow/envs/brobygning.yaml, generated from the lock), so it calls that environment's python
# and its native kernel instead.
IN_RULE_CONDA_ENV = DeploymentMethod.CONDA in workflow.deployment_settings.deployment_method
PYTHON = "python" if IN_RULE_CONDA_ENV else sys.executable
KERNEL = config.get("kernel", "python3" if IN_RULE_CONDA_ENV else "brobygning")
REPO_DIR = Path(workflow.basedir).parent
SOURCE_DIR = REPO_DIR / "src"
NOTEBOOK_DIR = REPO_DIR / "notebooks"

try:
    PROJECT = load_project(config["project"])
    _problems = raw_folder_problems(PROJECT) + project_message_problems(PROJECT)
    if _problems:
        raise ConfigError(_problems)
except ConfigError as error:
    raise WorkflowError(f"project '{config['project']}' is not ready to run:\n{error}") from None

SITES = PROJECT.site_ids


def batches(setting, even=False):
    """The sites in batches of about sqrt(sites) sites, or `setting` sites per batch when configured. A batch
    is one job running its notebook once per site in one kernel: one kernel start and one import of the
    libraries per batch instead of per site. Cleaning keeps batches small, so that one changed site reruns a
    small batch (9 sites: 3 of 3). Every report page is rebuilt when any site changes, so reports take
    even=True: the number of batches rounded down to an even one, as few jobs as keep two cores busy (9
    sites: 5 and 4 in one round instead of 3 batches in two; 98 sites: 10 either way)."""
    count = math.ceil(len(SITES) / math.ceil(math.sqrt(len(SITES))))
    if even and count > 1:
        count -= count % 2
    size = config.get(setting) or math.ceil(len(SITES) / count)
    return [SITES[i : i + size] for i in range(0, len(SITES), size)]


CLEAN_BATCHES = batches("clean_batch_size")
REPORT_BATCHES = batches("report_batch_size", even=True)


wildcard_constraints:
    project=re.escape(PROJECT.name),
    site="|".join(re.escape(s) for s in SITES),


def project_path(path):
    """A path inside the project folder, relative to it (Snakemake's working directory), so that the
    recorded inputs stay the same when the folder is moved or restored from a copy (Snakemake reruns a job
    whose set of input paths changed)."""
    return os.path.relpath(path)


def raw_files(sites):
    """Every raw file of these sites: changing one reruns the batch that cleans it."""
    return [project_path(p) for site in sites for p in site_raw_files(PROJECT, site)]


def site_outputs(sites):
    """Named outputs of a cleaning batch: what cleaning writes for each site, named '<table>_<site>'."""
    return {
        f"{name.split('.')[0]}_{site}": f"data/processed/{{project}}/sites/{site}/{name}"
        for site in sites
        for name in SITE_OUTPUTS
    }


def project_config_files(wildcards):
    return [project_path(PROJECT.config_dir / name) for name in ("config.yaml", "sites.tsv", "codebook.yaml")]


def code_inputs(*notebooks, modules=()):
    """Input function: the package files the job runs, i.e. what its notebooks (and the job runner) or its
    `python -m` modules import, followed through the package, with the data files shipped beside them
    (analysis.jobs.code_inputs). Results are rebuilt when that code changes, and only then."""
    files = [str(p) for p in job_code_files(notebooks, modules)]
    return lambda wildcards: files


def site_dir(site):
    return f"data/processed/{PROJECT.name}/sites/{site}"


def final_outputs():
    """The default target's inputs, i.e. the pooled tables, the models, every report and the index."""
    tables = ["participants.parquet", "responses.parquet", "rejected.csv", "quality.json", "models/summary.json"]
    pages = [f"sites/{site}.html" for site in SITES] + ["summary.html", "index.html"]
    return [f"data/processed/{PROJECT.name}/{table}" for table in tables] + [
        f"reports/{PROJECT.name}/{page}" for page in pages
    ]


SUMMARY_NOTEBOOK = NOTEBOOK_DIR / "40_summary.ipynb"
SUMMARY_OUTPUTS = {
    "summary_notebook": "reports/{project}/notebooks/40_summary.ipynb",
    "summary": "reports/{project}/summary.html",
    "index": "reports/{project}/index.html",
}


def summary_outputs():
    """The outputs of the summary notebook, which the last report batch runs: its executed notebook, the
    summary page and the index page the notebook writes."""
    caption = {"caption": "../report/summary.rst", "category": "Summary", "labels": {"report": "summary"}}
    return {**SUMMARY_OUTPUTS, "summary": report(SUMMARY_OUTPUTS["summary"], **caption)}


def summary_run():
    """run_notebook's arguments for the summary notebook: NOTEBOOK OUTPUT PAGE after --then."""
    paths = [SUMMARY_OUTPUTS[name].format(project=PROJECT.name) for name in ("summary_notebook", "summary")]
    return " ".join(["--then", str(SUMMARY_NOTEBOOK), *paths])


def papermill(parameters, html=False, each=None, then=False):
    """Shell command running {input.notebook} into {output.notebook} (and {output.html} when html=True)
    with string parameters, through analysis.jobs.run_notebook: one line on failure, outputs only when done.
    each="site" runs the notebook once per value in {params.each} in one kernel, {output.notebook} listing
    one executed notebook per value in the same order. (The values must come through params: Snakemake
    evaluates a rule's shell expression when the job runs, after a loop defining rules has moved on.)
    then=True adds {params.then}: another notebook to run in the same kernel, or nothing."""
    args = " ".join(f"-p {name}={value}" for name, value in parameters.items())
    if each:
        args += f" --each {each} {{params.each}}"
    render = f" --html {{output.html}} --language {PROJECT.config['language']}" if html else ""
    if then:
        render += " {params.then}"
    return (
        f'export PYTHONPATH="{SOURCE_DIR}${{{{PYTHONPATH:+:$PYTHONPATH}}}}" '
        # as many BLAS threads as the job has cores: two jobs on two cores each starting a thread per core
        # slowed one model fit 35-fold on a loaded machine
        "OPENBLAS_NUM_THREADS={threads} OMP_NUM_THREADS={threads}; "
        f"{PYTHON} -m analysis.jobs.run_notebook {{input.notebook}} {{output.notebook}} --kernel {KERNEL} "
        f"{args}{render} --log {{log}}"
    )
