"""The package files a workflow job runs: what its notebook imports, followed through the package.

A job's code inputs are exactly the modules its notebook (or `python -m` module) imports from `analysis`,
transitively, with the `__init__.py` of every package on the way (Python runs them) and the data files a
package ships beside its modules (message catalogues, templates, schemas, style files). Imports are read
statically with `ast`, including those inside functions, so a lazily imported module counts too; an import
under `if TYPE_CHECKING:` does not run and does not count. Nothing is imported, so listing the inputs of a
job costs a parse of about forty small files, done once per workflow start.

The job runner itself (`analysis.jobs.run_notebook`) counts with its module-level imports only: it imports
the HTML renderer lazily and only for report jobs, which list `analysis.reports.html` themselves.
"""

from __future__ import annotations

import ast
import json
from functools import cache
from pathlib import Path

PACKAGE = "analysis"
PACKAGE_DIR = Path(__file__).resolve().parents[1]
RUNNER = "analysis.jobs.run_notebook"


def module_file(module: str, package_dir: Path = PACKAGE_DIR) -> Path | None:
    """The source file of a dotted module of the package (its `__init__.py` for a package), or None."""
    parts = module.split(".")
    if parts[0] != PACKAGE:
        return None
    base = package_dir.joinpath(*parts[1:])
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imported_modules(source: str, module: str = "", module_level_only: bool = False) -> set[str]:
    """Dotted names of the package's modules that `source` imports (relative imports resolved against
    `module`); `from analysis.x import y` counts `analysis.x.y` too when y is itself a module."""
    found: set[str] = set()
    package = module.split(".")[:-1] if module else []

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child.test):
                for stmt in child.orelse:
                    visit(stmt)
                continue
            if module_level_only and isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            if isinstance(child, ast.Import):
                found.update(alias.name for alias in child.names if alias.name.split(".")[0] == PACKAGE)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    base = ".".join(package[: len(package) - child.level + 1] + ([base] if base else []))
                if base.split(".")[0] == PACKAGE:
                    found.add(base)
                    found.update(f"{base}.{alias.name}" for alias in child.names)
            visit(child)

    visit(ast.parse(source))
    return {name for name in found if module_file(name) is not None}


def notebook_imports(notebook: Path) -> set[str]:
    """The package's modules imported by a notebook's code cells."""
    cells = json.loads(Path(notebook).read_text(encoding="utf-8"))["cells"]
    found: set[str] = set()
    for cell in cells:
        if cell["cell_type"] == "code":
            source = "".join(cell["source"])
            found |= imported_modules(
                "\n".join(line for line in source.splitlines() if not line.startswith(("%", "!")))
            )
    return found


def _parents(module: str) -> list[str]:
    parts = module.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


@cache
def _direct_imports(module: str, module_level_only: bool) -> frozenset[str]:
    path = module_file(module)
    name = module if path.name != "__init__.py" else f"{module}.__init__"
    return frozenset(imported_modules(path.read_text(encoding="utf-8"), name, module_level_only))


def module_closure(modules: set[str] | list[str]) -> set[str]:
    """Every module of the package that importing `modules` runs (their imports, transitively, and the
    packages on the way)."""
    todo, seen = list(modules), set()
    while todo:
        module = todo.pop()
        if module in seen or module_file(module) is None:
            continue
        seen.add(module)
        todo.extend(_parents(module))
        todo.extend(_direct_imports(module, module_level_only=module == RUNNER))
    return seen


def package_data(package_dir: Path) -> list[Path]:
    """Data files a package ships beside its modules: files that are not Python, in the package folder and
    in its sub-folders that are not packages themselves."""
    files = []
    for path in sorted(package_dir.iterdir()):
        if path.is_file() and path.suffix not in {".py", ".pyc"}:
            files.append(path)
        elif path.is_dir() and path.name != "__pycache__" and not (path / "__init__.py").exists():
            files.extend(p for p in sorted(path.rglob("*")) if p.is_file() and "__pycache__" not in p.parts)
    return files


def code_files(modules: set[str] | list[str]) -> list[Path]:
    """The files (modules and package data) that running code importing `modules` reads, sorted."""
    files: set[Path] = set()
    for module in module_closure(modules):
        path = module_file(module)
        files.add(path)
        if path.name == "__init__.py":
            files.update(package_data(path.parent))
    return sorted(files)


def job_code_files(notebooks: tuple[Path, ...] = (), modules: tuple[str, ...] = ()) -> list[Path]:
    """Code inputs of a workflow job: the runner and the notebooks' imports (for a notebook job; the last
    report batch runs two notebooks) and `modules` (for a `python -m` job, or the HTML renderer of a report
    job), each followed through the package."""
    roots = set(modules)
    for notebook in notebooks:
        roots |= notebook_imports(notebook) | {RUNNER}
    return code_files(roots)
