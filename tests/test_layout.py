"""The package is laid out by stage, and imports only flow downstream.

Stages, in pipeline order: core < read < project < clean < pool < retention < reports. A module may import
its own stage and the stages before it. jobs/, tools/, simulation/ and bench/ stand beside the pipeline:
they may import any stage, and no stage imports them. A notebook imports only its own stage and the ones
before it. No two modules import each other, directly or around a loop. Imports are read with the same
static reader that decides each job's code inputs (analysis.jobs.code_inputs), so what is checked here is
what the workflow tracks.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis.jobs.code_inputs import PACKAGE_DIR, imported_modules, notebook_imports

REPO = Path(__file__).resolve().parents[1]
STAGES = ["core", "read", "project", "clean", "pool", "retention", "reports"]
BESIDE = {"jobs", "tools", "simulation", "bench"}
NOTEBOOK_STAGE = {
    "10_clean": "clean",
    "20_retention": "retention",
    "30_site_report": "reports",
    "40_summary": "reports",
}


def folder(module: str) -> str | None:
    """The stage or side folder of a dotted module ('analysis.read.dates' -> 'read'); None at the top."""
    parts = module.split(".")
    return parts[1] if len(parts) > 2 or (len(parts) == 2 and parts[1] in STAGES + sorted(BESIDE)) else None


def import_problems(imports: dict[str, set[str]]) -> list[str]:
    """Imports that go upstream or from a stage into a side folder; `imports` maps module -> modules."""
    problems = []
    for module, targets in sorted(imports.items()):
        here = folder(module)
        if here not in STAGES:
            continue
        for target in sorted(targets):
            there = folder(target)
            if there in BESIDE:
                problems.append(f"{module} (stage {here}) imports {target}, which is not a pipeline stage")
            elif there in STAGES and STAGES.index(there) > STAGES.index(here):
                problems.append(f"{module} (stage {here}) imports {target} from a later stage ({there})")
    return problems


def notebook_problems(notebooks: dict[str, set[str]]) -> list[str]:
    """Notebook imports outside the notebook's stage and the stages before it."""
    problems = []
    for notebook, targets in sorted(notebooks.items()):
        stage = NOTEBOOK_STAGE[notebook]
        allowed = set(STAGES[: STAGES.index(stage) + 1])
        problems += [
            f"notebooks/{notebook}.ipynb (stage {stage}) imports {t}, outside its stage"
            for t in sorted(targets)
            if folder(t) not in allowed
        ]
    return problems


def cycles(imports: dict[str, set[str]]) -> list[list[str]]:
    """Every import loop, each once, as the list of modules around it."""
    found, seen_loops = [], set()

    def walk(module: str, path: list[str]) -> None:
        for target in sorted(imports.get(module, ())):
            if target in path:
                loop = path[path.index(target) :]
                key = frozenset(loop)
                if key not in seen_loops:
                    seen_loops.add(key)
                    found.append(loop + [target])
            elif target not in done:
                walk(target, path + [target])
        done.add(module)

    done: set[str] = set()
    for module in sorted(imports):
        if module not in done:
            walk(module, [module])
    return found


def package_imports() -> dict[str, set[str]]:
    imports = {}
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        parts = path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts
        module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        name = module + ".__init__" if parts[-1] == "__init__" else module
        imports[module] = {m for m in imported_modules(path.read_text(encoding="utf-8"), name) if m != module}
    return imports


def test_every_module_lives_in_a_stage_or_beside_the_pipeline():
    loose = [m for m in package_imports() if folder(m) is None and m not in ("analysis", "analysis.__main__")]
    assert not loose, f"modules outside any stage folder: {loose}"
    assert {p.name for p in PACKAGE_DIR.iterdir() if p.is_dir() and p.name != "__pycache__"} == set(STAGES) | BESIDE


def test_imports_flow_downstream_only():
    assert not import_problems(package_imports())


def test_notebooks_import_their_own_stage_and_earlier_ones_only():
    notebooks = {p.stem: notebook_imports(p) for p in sorted((REPO / "notebooks").glob("*.ipynb"))}
    assert set(notebooks) == set(NOTEBOOK_STAGE)
    assert not notebook_problems(notebooks)


def test_no_import_loops():
    assert not cycles(package_imports())


@pytest.mark.parametrize(
    ("imports", "named"),
    [
        ({"analysis.project.loader": {"analysis.reports.messages"}}, "from a later stage (reports)"),
        ({"analysis.clean.site": {"analysis.tools.check"}}, "which is not a pipeline stage"),
    ],
)
def test_an_upstream_import_or_a_tool_in_a_stage_is_named(imports, named):
    (problem,) = import_problems(imports)
    assert named in problem and next(iter(imports)) in problem


def test_a_notebook_importing_outside_its_stage_is_named():
    (problem,) = notebook_problems({"10_clean": {"analysis.clean.site", "analysis.retention.pipeline"}})
    assert "10_clean.ipynb" in problem and "analysis.retention.pipeline" in problem


def test_an_import_loop_is_named():
    loops = cycles(
        {
            "analysis.read.a": {"analysis.read.b"},
            "analysis.read.b": {"analysis.read.c"},
            "analysis.read.c": {"analysis.read.a"},
        }
    )
    assert loops == [["analysis.read.a", "analysis.read.b", "analysis.read.c", "analysis.read.a"]]


def test_the_architecture_document_names_every_module():
    """docs/architecture.md stays true to the code: each module of the package has its line there."""
    text = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")
    modules = [
        p.relative_to(PACKAGE_DIR).as_posix()
        for p in sorted(PACKAGE_DIR.rglob("*.py"))
        if p.name != "__init__.py" and not (p.name == "__main__.py" and p.parent != PACKAGE_DIR)
    ]
    folders = {m.split("/")[0] for m in modules if "/" in m}
    named = [m for m in modules if f"`{m}`" in text or (m.split("/")[0] == "bench" and "`bench/`" in text)]
    assert set(modules) - set(named) == set(), f"not in docs/architecture.md: {sorted(set(modules) - set(named))}"
    assert all(f"  {folder}/" in text for folder in folders)
