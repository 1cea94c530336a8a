"""Headless-Chromium checks of report pages find exactly the problems planted in tiny pages, and print PDFs.

These tests need a Chromium (`make browser`; the `chromium` fixture in conftest.py finds it): without one they
are skipped and listed at the end of the run, and on CI they fail.
"""

from __future__ import annotations

import base64
import re
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from analysis.tools import browser as browser_module
from analysis.tools.browser import BrowserNotFoundError, check_page, find_chromium, open_browser, print_pdf

EXTERNAL_CSS = "https://example.org/report.css"
OUTBOUND = "https://example.org/about"
A4_POINTS = (595.28, 841.89)
FAILURE_LISTS = [
    "console_errors",
    "broken_images",
    "failed_resources",
    "broken_links",
    "external_loads",
    "layout",
    "accessibility",
]
VIEWPORT = '<meta name="viewport" content="width=device-width, initial-scale=1">'
WIDE_TABLE = "<table><tr>" + "".join(f"<th>Column number {i}</th>" for i in range(12)) + "</tr></table>"


def _png(width: int = 2, height: int = 2) -> bytes:
    """A tiny valid RGB PNG, built by hand so the test needs no image library."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\x00\x72\xb2" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def _page(folder: Path, name: str, body: str, head: str = VIEWPORT) -> Path:
    """Write a minimal HTML page (with a viewport meta unless `head` says otherwise) and return its path."""
    path = folder / name
    path.write_text(
        f'<!DOCTYPE html><html lang="da"><head><meta charset="utf-8"><title>{name}</title>{head}</head>'
        f"<body><main>{body}</main></body></html>",
        encoding="utf-8",
    )
    return path


def _good_page(folder: Path) -> Path:
    """A page with an embedded base64 PNG, an in-page anchor, a sibling link and an (allowed) outbound link."""
    _page(folder, "sibling.html", "<p>Sibling</p>")
    figure = base64.b64encode(_png()).decode("ascii")
    return _page(
        folder,
        "good.html",
        f'<a href="#results">Results</a> <a href="sibling.html">Sibling</a> '
        f'<a href="{OUTBOUND}">About</a><h2 id="results">Results</h2>'
        f'<img alt="figure" src="data:image/png;base64,{figure}">',
    )


def _problems(result) -> dict[str, list[str]]:
    """The failure lists of a PageCheck, by name."""
    return {name: getattr(result, name) for name in FAILURE_LISTS}


def _clean(**planted: list[str]) -> dict[str, list[str]]:
    """The failure lists expected of a page: empty but for the planted ones."""
    return {name: [] for name in FAILURE_LISTS} | planted


def _assert_screenshot(path: Path) -> None:
    """The screenshot exists, is non-empty and is a PNG."""
    assert path.stat().st_size > 0
    assert path.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def _run_command(*args: str) -> subprocess.CompletedProcess:
    """Run `python -m analysis.tools.browser ARGS` in its own process (one Playwright per thread)."""
    return subprocess.run(
        [sys.executable, "-m", "analysis.tools.browser", *args], capture_output=True, text=True, timeout=60, check=False
    )


@pytest.fixture(scope="module")
def browser(chromium):
    """One headless Chromium shared by the module's in-process checks."""
    with open_browser() as running:
        yield running


def test_good_page_has_no_problems_and_lists_its_outbound_link(browser, tmp_path):
    result = check_page(_good_page(tmp_path), tmp_path / "shots" / "good.png", browser=browser)
    assert _problems(result) == _clean()
    assert result.ok and result.console_warnings == []
    assert result.external_links == [OUTBOUND]
    _assert_screenshot(tmp_path / "shots" / "good.png")


def test_console_error_is_reported(browser, tmp_path):
    page = _page(tmp_path, "console.html", "<p>Text</p><script>console.error('planted failure')</script>")
    result = check_page(page, tmp_path / "console.png", browser=browser)
    assert _problems(result) == _clean(console_errors=["planted failure"])
    assert not result.ok
    _assert_screenshot(tmp_path / "console.png")


def test_missing_image_is_reported_once(browser, tmp_path):
    page = _page(tmp_path, "image.html", '<img alt="figure" src="missing.png">')
    result = check_page(page, tmp_path / "image.png", browser=browser)
    assert _problems(result) == _clean(broken_images=["missing.png"])
    _assert_screenshot(tmp_path / "image.png")


def test_broken_local_link_and_anchor_are_reported(browser, tmp_path):
    page = _page(
        tmp_path,
        "links.html",
        '<a href="nowhere.html">Gone</a> <a href="#no-such-id">Nothing</a>'
        '<h2 id="present">Present</h2><a href="#present">Fine</a>',
    )
    result = check_page(page, tmp_path / "links.png", browser=browser)
    assert _problems(result) == _clean(broken_links=["nowhere.html", "#no-such-id"])
    _assert_screenshot(tmp_path / "links.png")


def test_external_stylesheet_is_a_failure(browser, tmp_path):
    page = _page(
        tmp_path, "external.html", "<p>Styled</p>", head=VIEWPORT + f'<link rel="stylesheet" href="{EXTERNAL_CSS}">'
    )
    result = check_page(page, tmp_path / "external.png", browser=browser)
    assert _problems(result) == _clean(external_loads=[EXTERNAL_CSS])
    assert result.external_links == []
    _assert_screenshot(tmp_path / "external.png")


def test_a_wide_table_fails_on_a_phone_unless_it_scrolls_in_its_container(browser, tmp_path):
    bare = _page(tmp_path, "bare.html", WIDE_TABLE)
    phone = check_page(bare, tmp_path / "bare.png", browser=browser, width=390)
    assert len(phone.layout) == 2, phone.layout  # the table, and so the page, run past the screen
    assert "Column number 0" in phone.layout[0] and "no scrolling container" in phone.layout[0]
    assert check_page(bare, tmp_path / "bare-wide.png", browser=browser, width=1280).layout == []
    scrolling = _page(tmp_path, "scrolling.html", f'<div style="overflow-x:auto" tabindex="0">{WIDE_TABLE}</div>')
    result = check_page(scrolling, tmp_path / "scrolling.png", browser=browser, width=390)
    assert _problems(result) == _clean()


def test_a_page_without_viewport_meta_is_a_layout_failure(browser, tmp_path):
    page = _page(tmp_path, "noviewport.html", "<p>Text</p>", head="")
    result = check_page(page, tmp_path / "noviewport.png", browser=browser, width=390)
    assert result.layout == ['no <meta name="viewport">']


def test_an_image_without_alt_text_is_a_critical_accessibility_violation(browser, tmp_path):
    figure = base64.b64encode(_png()).decode("ascii")
    page = _page(tmp_path, "noalt.html", f'<img src="data:image/png;base64,{figure}">')
    result = check_page(page, tmp_path / "noalt.png", browser=browser)
    assert [line.split()[0] for line in result.accessibility] == ["image-alt"]
    assert "critical" in result.accessibility[0]


def test_print_pdf_writes_an_a4_pdf(browser, tmp_path):
    pdf = print_pdf(_good_page(tmp_path), tmp_path / "good.pdf", browser=browser)
    assert pdf == tmp_path / "good.pdf"
    content = pdf.read_bytes()
    assert content.startswith(b"%PDF")
    width, height = map(float, re.search(rb"/MediaBox ?\[0 0 ([\d.]+) ([\d.]+)\]", content).groups())
    assert width == pytest.approx(A4_POINTS[0], abs=2) and height == pytest.approx(A4_POINTS[1], abs=2)


def test_check_command_writes_screenshots_and_fails_on_a_bad_page(chromium, tmp_path):
    (tmp_path / "sites").mkdir()
    _good_page(tmp_path / "sites")
    _page(tmp_path, "summary.html", '<img alt="figure" src="missing.png">')
    run = _run_command("check", str(tmp_path))
    assert run.returncode == 1, run.stderr
    lines = run.stdout.splitlines()
    assert [line.split()[:3] for line in lines] == [
        ["OK", "sites/good.html", "390"],
        ["OK", "sites/good.html", "1280"],
        ["OK", "sites/sibling.html", "390"],
        ["OK", "sites/sibling.html", "1280"],
        ["FAIL", "summary.html", "390"],
        ["FAIL", "summary.html", "1280"],
    ]
    for width in ("390", "1280"):
        _assert_screenshot(tmp_path / "screenshots" / width / "sites" / "good.png")
        _assert_screenshot(tmp_path / "screenshots" / width / "summary.png")


def test_pdf_command_writes_a_pdf_beside_each_page(chromium, tmp_path):
    _good_page(tmp_path)
    run = _run_command("pdf", str(tmp_path))
    assert run.returncode == 0, run.stderr
    assert sorted(path.name for path in tmp_path.glob("*.pdf")) == ["good.pdf", "sibling.pdf"]


@pytest.fixture
def no_chromium(tmp_path, monkeypatch) -> Path:
    """A machine with no Chromium anywhere find_chromium looks: returns an empty folder on PATH."""
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setattr(browser_module, "DEBIAN_CHROMIUM", tmp_path / "no-chromium")
    monkeypatch.setattr(browser_module, "CHROME_PATHS", [tmp_path / "no-chrome"])
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.setenv("PLAYWRIGHT_BROWSERS_PATH", str(tmp_path / "ms-playwright"))
    return empty


def _executable(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n", encoding="utf-8")
    path.chmod(0o755)
    return path


def test_missing_chromium_is_reported_with_the_install_command(no_chromium, tmp_path):
    assert find_chromium() is None
    with pytest.raises(BrowserNotFoundError, match="make browser.*playwright install chromium"):
        check_page(_good_page(tmp_path), tmp_path / "good.png")


def test_playwrights_own_chromium_is_found_newest_build_first(no_chromium, tmp_path):
    browsers = tmp_path / "ms-playwright"
    _executable(browsers / "chromium-1179" / "chrome-linux" / "chrome")
    newest = _executable(browsers / "chromium-1200" / "chrome-linux64" / "chrome")
    _executable(browsers / "ffmpeg-1011" / "ffmpeg-linux")
    assert find_chromium() == newest


def test_google_chrome_is_found_on_path_or_where_it_installs(no_chromium, tmp_path, monkeypatch):
    installed = _executable(tmp_path / "opt" / "chrome")
    monkeypatch.setattr(browser_module, "CHROME_PATHS", [tmp_path / "no-chrome", installed])
    assert find_chromium() == installed
    on_path = _executable(no_chromium / "google-chrome")
    assert find_chromium() == on_path


def test_the_system_chromium_comes_before_playwrights(no_chromium, tmp_path):
    _executable(tmp_path / "ms-playwright" / "chromium-1200" / "chrome-linux" / "chrome")
    system = _executable(no_chromium / "chromium")
    assert find_chromium() == system
