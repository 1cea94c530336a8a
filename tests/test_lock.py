"""requirements.lock installs on every supported Python as distributions ship it: 3.11.2 (Debian 12), 3.12, 3.13.

The lock is universal (`make lock`: uv pip compile --universal, markers choose per version). These tests ask
PyPI itself, with pip's resolver pretending to be each of those interpreters on x86-64 Linux, whether every
pin the lock selects for it exists there with a matching Requires-Python, and as a binary wheel: a too-new
pin (soupsieve 4.1.3 needs 3.11.5) or a compiled package without a wheel for a version fails here rather
than on a researcher's laptop. Only the packages in PURE_PYTHON_SDISTS may come as source, and for them the
test checks that the source holds no code to compile.

They need PyPI (marked `registry`); without it they are skipped and listed at the end of `make test`.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tarfile
import tomllib
import urllib.request
import zipfile
from pathlib import Path

import pytest
from conftest import REPO, need
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

pytestmark = pytest.mark.registry

# (full version, ABI) of each supported CPython; the oldest release of each minor version is the strictest.
PYTHONS = [("3.11.2", "cp311"), ("3.12.0", "cp312"), ("3.13.0", "cp313")]
# Wheels for glibc 2.17 (manylinux2014) up to Debian 12's 2.36.
PLATFORMS = ["manylinux2014_x86_64"] + [f"manylinux_2_{minor}_x86_64" for minor in range(17, 37)]
# Packages PyPI has only as a source distribution (snakemake needs connection_pool); fine
# as long as they are pure Python.
PURE_PYTHON_SDISTS = {"connection-pool"}
COMPILED_SOURCES = re.compile(r"\.(c|cc|cpp|cxx|h|hpp|pyx|pxd|rs|f|f90|go)$|(^|/)(Cargo\.toml|meson\.build)$")


def lock_entries() -> list[Requirement]:
    """Every pin of requirements.lock with its marker (lines of `name==version ; marker`)."""
    lines = (REPO / "requirements.lock").read_text(encoding="utf-8").splitlines()
    return [Requirement(line) for line in lines if line and not line.lstrip().startswith("#")]


def environment(full_version: str) -> dict[str, str]:
    """Marker variables of CPython `full_version` on x86-64 Linux."""
    return {
        "python_version": ".".join(full_version.split(".")[:2]),
        "python_full_version": full_version,
        "implementation_name": "cpython",
        "implementation_version": full_version,
        "platform_python_implementation": "CPython",
        "sys_platform": "linux",
        "platform_system": "Linux",
        "platform_machine": "x86_64",
        "os_name": "posix",
        "extra": "",
    }


def pins_for(full_version: str) -> dict[str, str]:
    """name -> version the lock installs on that Python (markers evaluated); one version per name."""
    pins: dict[str, str] = {}
    for requirement in lock_entries():
        if requirement.marker is None or requirement.marker.evaluate(environment(full_version)):
            name = canonicalize_name(requirement.name)
            assert name not in pins, f"requirements.lock selects two versions of {name} on Python {full_version}"
            pins[name] = str(requirement.specifier).removeprefix("==")
    return pins


@pytest.fixture(scope="module")
def pypi() -> None:
    try:
        urllib.request.urlopen("https://pypi.org/simple/pip/", timeout=20).close()
    except OSError as error:
        need("pypi", f"https://pypi.org cannot be reached ({error})")


def resolve(full_version: str, abi: str, pins: dict[str, str], folder: Path) -> dict[str, str]:
    """Ask pip (PyPI only, no local config) to install exactly `pins` on CPython `full_version`, x86-64 Linux,
    without installing; name -> URL of the file it chose. Fails with pip's message when any pin cannot."""
    requirements = folder / f"requirements-{abi}.txt"
    requirements.write_text("".join(f"{name}=={version}\n" for name, version in sorted(pins.items())))
    report = folder / f"report-{abi}.json"
    command = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--isolated",
        "--dry-run",
        "--ignore-installed",
        "--no-deps",
        "--quiet",
        "--prefer-binary",
        "--python-version",
        full_version,
        "--implementation",
        "cp",
        "--abi",
        abi,
        *(f"--platform={platform}" for platform in PLATFORMS),
        "--target",
        str(folder / "target"),
        "--report",
        str(report),
        "-r",
        str(requirements),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, f"the lock does not install on Python {full_version}:\n{result.stderr[-3000:]}"
    chosen = json.loads(report.read_text())["install"]
    return {canonicalize_name(item["metadata"]["name"]): item["download_info"]["url"] for item in chosen}


@pytest.mark.parametrize(("full_version", "abi"), PYTHONS, ids=[v for v, _ in PYTHONS])
def test_every_pin_installs_from_pypi_as_a_wheel(pypi, full_version, abi, tmp_path):
    pins = pins_for(full_version)
    chosen = resolve(full_version, abi, pins, tmp_path)
    assert set(chosen) == set(pins)
    sources = {name for name, url in chosen.items() if not url.endswith(".whl")}
    assert sources <= PURE_PYTHON_SDISTS, f"source distributions (no wheel): {sorted(sources)}"


@pytest.mark.parametrize("name", sorted(PURE_PYTHON_SDISTS))
def test_the_packages_without_wheels_are_pure_python(pypi, name, tmp_path):
    version = pins_for(PYTHONS[0][0])[name]
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--isolated", "--no-deps", "--no-binary=:all:"]
        + ["--quiet", "--dest", str(tmp_path), f"{name}=={version}"],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (archive,) = tmp_path.iterdir()
    if archive.suffix == ".zip":
        members = zipfile.ZipFile(archive).namelist()
    else:
        members = tarfile.open(archive).getnames()
    assert any(m.endswith(".py") for m in members)
    assert [m for m in members if COMPILED_SOURCES.search(m)] == []


def test_the_lock_pins_every_package_once_per_python_and_covers_the_direct_dependencies():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    direct = {canonicalize_name(Requirement(d).name) for d in project["dependencies"]}
    direct |= {canonicalize_name(Requirement(d).name) for d in project["optional-dependencies"]["dev"]}
    for full_version, _ in PYTHONS:
        pins = pins_for(full_version)
        assert direct - set(pins) == set(), f"direct dependencies missing from the lock on {full_version}"
        assert all(re.fullmatch(r"[0-9][0-9a-z.+!]*", v) for v in pins.values()), "every pin is an exact version"


def test_the_lock_is_made_by_the_makefiles_lock_target():
    header = (REPO / "requirements.lock").read_text(encoding="utf-8").splitlines()[:2]
    assert header == ["# This file was autogenerated by uv via the following command:", "#    make lock"]
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    assert "uv pip compile pyproject.toml --extra dev --universal --python-version 3.11.2" in makefile
