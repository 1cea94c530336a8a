"""Check rendered HTML reports in headless Chromium, take their screenshots and print them to A4 PDF.

The browser is the first Chromium found (``find_chromium``): the system's (Debian's chromium, which ``make browser``
installs as root), Playwright's own (``playwright install chromium``, no root needed) or Google Chrome. Playwright
for Python drives it with ``executable_path`` pointing at it. Reports must
open offline, so every http(s) request a page makes is blocked and reported as an external load; a plain
outbound ``<a>`` link is allowed but listed.

Every page is opened at a phone's width (390 px) and a desktop's (1280 px). At each width the check fails
on a table that runs past the screen without a container that scrolls it, on a page wider than the screen,
on a missing viewport meta, and on any serious or critical accessibility violation found by axe-core (the
copy shipped in the axe-playwright-python package, injected into the page: no network needed).

Command line::

    python -m analysis.tools.browser check reports/<project>   # screenshots in <dir>/screenshots/<width>/
    python -m analysis.tools.browser pdf reports/<project>     # <name>.pdf beside each page
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urldefrag, urlsplit
from urllib.request import url2pathname

from playwright.sync_api import Browser, Page, sync_playwright

DEBIAN_CHROMIUM = Path("/usr/bin/chromium")
# Where Google Chrome installs itself when it is not on PATH (Linux packages, macOS).
CHROME_PATHS = [
    Path("/opt/google/chrome/chrome"),
    Path("/Applications/Google Chrome.app/Contents/MacOS/Google Chrome"),
]
# Executables inside Playwright's browser folders (chromium-<build>/, chromium_headless_shell-<build>/).
PLAYWRIGHT_EXECUTABLES = [
    "chromium-*/chrome-linux*/chrome",
    "chromium-*/chrome-mac*/Chromium.app/Contents/MacOS/Chromium",
    "chromium_headless_shell-*/chrome-*/headless_shell",
]
# Playwright adds --headless (headless=True) and a fresh temporary --user-data-dir to every launch.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
INSTALL_HINT = (
    "no Chromium on the system, in Playwright's browsers or from Google Chrome: run `make browser` "
    "(as root: apt-get install chromium; otherwise: playwright install chromium)"
)
TIMEOUT_MS = 30_000
IMAGE_WAIT_MS = 5_000
SCREENSHOT_DIR = "screenshots"
WIDTHS = (390, 1280)  # a phone (iPhone 12-15) and a desktop, in CSS pixels
VIEWPORT_HEIGHT = 900
BLOCKING_IMPACTS = ("serious", "critical")  # axe-core impacts that fail a page
A4_MARGIN = {"top": "15mm", "bottom": "15mm", "left": "12mm", "right": "12mm"}

# Runs before any page script: remembers <img> elements whose load fired an error event.
_IMAGE_ERROR_LISTENER = """
window.__brobygningImageErrors = [];
window.addEventListener("error", (event) => {
  const target = event.target;
  if (target instanceof HTMLImageElement) {
    window.__brobygningImageErrors.push([target.getAttribute("src") || "(no src)", target.currentSrc || target.src]);
  }
}, true);
"""

# Loads lazy images and waits (bounded) until every <img> has either loaded or failed.
_SETTLE_IMAGES = """
async (waitMs) => {
  const pending = Array.from(document.images).filter((img) => {
    if (img.loading === "lazy") img.loading = "eager";
    return !img.complete;
  });
  await Promise.all(pending.map((img) => new Promise((done) => {
    img.addEventListener("load", done, {once: true});
    img.addEventListener("error", done, {once: true});
    setTimeout(done, waitMs);
  })));
}
"""

# What the finished page holds: broken images, links, anchor targets and declared external loads.
_INSPECT_DOM = """
() => {
  const pairs = (nodes, attr) => Array.from(nodes, (n) => [n.getAttribute(attr) || "", n[attr] || ""]);
  const broken = Array.from(document.images).filter((img) => img.complete && img.naturalWidth === 0);
  return {
    brokenImages: broken.map((img) => [img.getAttribute("src") || "(no src)", img.currentSrc || img.src]),
    imageErrors: window.__brobygningImageErrors || [],
    links: pairs(document.querySelectorAll("a[href], area[href]"), "href"),
    anchors: Array.from(document.querySelectorAll("[id]"), (n) => n.id)
      .concat(Array.from(document.querySelectorAll("a[name]"), (n) => n.getAttribute("name"))),
    loads: pairs(document.querySelectorAll("img[src], script[src]"), "src")
      .concat(pairs(document.querySelectorAll("link[rel~='stylesheet'][href]"), "href")),
  };
}
"""


# Layout at the current width: tables reaching past the screen with no scrolling ancestor, page overflow,
# and whether the page declares a viewport.
_INSPECT_LAYOUT = """
() => {
  const screen = document.documentElement.clientWidth;
  const scrolls = (node) => {
    for (let n = node.parentElement; n && n !== document.body; n = n.parentElement) {
      const style = getComputedStyle(n);
      if (["auto", "scroll"].includes(style.overflowX) && n.getBoundingClientRect().right <= screen + 1) return true;
    }
    return false;
  };
  const tables = Array.from(document.querySelectorAll("table")).map((table, index) => {
    const box = table.getBoundingClientRect();
    const head = table.querySelector("th, td");
    return {index, label: head ? head.textContent.trim().slice(0, 40) : "", right: box.right, scrolls: scrolls(table)};
  });
  return {
    screen,
    pageWidth: document.documentElement.scrollWidth,
    viewport: !!document.querySelector('meta[name="viewport"]'),
    overflowing: tables.filter((t) => t.right > screen + 1 && !t.scrolls)
      .map((t) => `table ${t.index + 1} ("${t.label}") ends at ${Math.round(t.right)} px`),
  };
}
"""


class BrowserNotFoundError(RuntimeError):
    """Chromium is not installed where this module looks for it."""


@dataclass
class PageCheck:
    """What headless Chromium found on one page. Every list but ``external_links`` is a failure."""

    page: Path
    screenshot: Path
    console_errors: list[str] = field(default_factory=list)
    console_warnings: list[str] = field(default_factory=list)
    broken_images: list[str] = field(default_factory=list)
    failed_resources: list[str] = field(default_factory=list)
    broken_links: list[str] = field(default_factory=list)
    external_loads: list[str] = field(default_factory=list)
    external_links: list[str] = field(default_factory=list)
    layout: list[str] = field(default_factory=list)
    accessibility: list[str] = field(default_factory=list)
    width: int = WIDTHS[-1]
    seconds: float = 0.0

    @property
    def problems(self) -> list[str]:
        """Every failure, each labelled with its kind."""
        kinds = {
            "console error": self.console_errors,
            "broken image": self.broken_images,
            "failed resource": self.failed_resources,
            "broken link": self.broken_links,
            "external load": self.external_loads,
            "layout": self.layout,
            "accessibility": self.accessibility,
        }
        return [f"{kind}: {item}" for kind, items in kinds.items() for item in items]

    @property
    def ok(self) -> bool:
        """True when the page has no failure (console warnings and outbound links are allowed)."""
        return not self.problems

    def summary(self, root: Path | None = None) -> str:
        """One line for the command line: status, page, time, then failures or allowed findings."""
        name = self.page.relative_to(root) if root else self.page
        notes = self.problems + [f"console warning: {text}" for text in self.console_warnings]
        notes += [f"outbound link: {url}" for url in self.external_links]
        line = f"{'OK' if self.ok else 'FAIL':<4}  {name}  {self.width} px  {self.seconds:.2f} s"
        return f"{line}  {'; '.join(notes)}" if notes else line


@dataclass
class _Events:
    """Browser events of one page, collected while it loads."""

    console: list[tuple[str, str, str]] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    failed_requests: list[tuple[str, str]] = field(default_factory=list)
    external_requests: list[str] = field(default_factory=list)


def playwright_browsers() -> Path:
    """The folder `playwright install` puts browsers in: $PLAYWRIGHT_BROWSERS_PATH, else its per-user cache."""
    if os.environ.get("PLAYWRIGHT_BROWSERS_PATH"):
        return Path(os.environ["PLAYWRIGHT_BROWSERS_PATH"])
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "ms-playwright"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "ms-playwright"


def _build(path: Path, folder: Path) -> int:
    match = re.search(r"-(\d+)$", path.relative_to(folder).parts[0])
    return int(match.group(1)) if match else 0


def find_chromium() -> Path | None:
    """The Chromium to use, else None: the system's (/usr/bin/chromium, or chromium on PATH), else the newest
    build Playwright installed, else Google Chrome (on PATH or where its installer puts it)."""
    if DEBIAN_CHROMIUM.is_file():
        return DEBIAN_CHROMIUM
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return Path(found)
    folder = playwright_browsers()
    installed = [p for pattern in PLAYWRIGHT_EXECUTABLES for p in folder.glob(pattern) if os.access(p, os.X_OK)]
    if installed:
        return max(installed, key=lambda p: _build(p, folder))
    for name in ("google-chrome", "google-chrome-stable", "chrome"):
        found = shutil.which(name)
        if found:
            return Path(found)
    return next((p for p in CHROME_PATHS if p.is_file()), None)


@contextmanager
def open_browser() -> Iterator[Browser]:
    """Headless Chromium for several checks or prints; raises BrowserNotFoundError when it is absent."""
    executable = find_chromium()
    if executable is None:
        raise BrowserNotFoundError(INSTALL_HINT)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS, timeout=TIMEOUT_MS
        )
        try:
            yield browser
        finally:
            browser.close()


def _is_external(url: str) -> bool:
    """True for http(s) URLs: anything a report must not need."""
    return urlsplit(url).scheme.lower() in ("http", "https")


@contextmanager
def _offline_page(browser: Browser, events: _Events, width: int = WIDTHS[-1]) -> Iterator[Page]:
    """A page `width` CSS pixels wide in a fresh context that blocks (and records) every http(s) request and
    the page's events."""
    context = browser.new_context(service_workers="block", viewport={"width": width, "height": VIEWPORT_HEIGHT})
    context.set_default_timeout(TIMEOUT_MS)
    context.add_init_script(_IMAGE_ERROR_LISTENER)

    def block(route) -> None:
        events.external_requests.append(route.request.url)
        route.abort("blockedbyclient")

    context.route(_is_external, block)
    page = context.new_page()
    page.on("console", lambda msg: events.console.append((msg.type, msg.text, msg.location.get("url", ""))))
    page.on("pageerror", lambda error: events.page_errors.append(f"uncaught {error.name}: {error.message}"))
    page.on("requestfailed", lambda request: events.failed_requests.append((request.url, request.resource_type)))
    try:
        yield page
    finally:
        context.close()


def _open(page: Page, html_path: Path) -> None:
    """Load a local HTML file and wait until its images have loaded or failed."""
    page.goto(html_path.as_uri(), wait_until="load")
    page.evaluate(_SETTLE_IMAGES, IMAGE_WAIT_MS)


def _local_html(html_path: str | Path) -> Path:
    """The absolute path of an existing HTML file."""
    path = Path(html_path).resolve()
    if not path.is_file():
        raise FileNotFoundError(f"no such page: {path}")
    return path


def _file_exists(url: str) -> bool:
    """True when a file: URL (without fragment) names an existing file or folder on this machine."""
    parts = urlsplit(url)
    if parts.netloc not in ("", "localhost"):
        return False
    return Path(url2pathname(parts.path)).exists()


def _anchor_exists(fragment: str, anchors: set[str]) -> bool:
    """True when an in-page fragment has a target; '#' and '#top' always do (HTML scrolls to the top)."""
    name = unquote(fragment)
    return name in anchors or name.lower() in ("", "top")


def _classify_links(page_url: str, links: list[list[str]], anchors: set[str]) -> tuple[list[str], list[str]]:
    """Broken local links and in-page anchors (as written), and outbound http(s) links."""
    broken, external = [], []
    page_file = urldefrag(page_url).url
    for written, resolved in links:
        scheme = urlsplit(resolved).scheme.lower()
        if scheme in ("http", "https"):
            external.append(resolved)
        elif scheme == "file":
            target, fragment = urldefrag(resolved)
            exists = _anchor_exists(fragment, anchors) if target == page_file else _file_exists(target)
            if not exists:
                broken.append(written)
    return broken, external


def _unique(items: list[str]) -> list[str]:
    """Items in first-seen order without repeats."""
    return list(dict.fromkeys(items))


def _external_loads(dom: dict, events: _Events) -> list[str]:
    """Every http(s) resource the page requested or declares in img, script or stylesheet link."""
    declared = [resolved for _, resolved in dom["loads"] if _is_external(resolved)]
    return _unique(events.external_requests + declared)


def _broken_images(dom: dict, events: _Events, external: list[str]) -> list[str]:
    """Local images that did not load: <img> with naturalWidth 0 or an error event, and failed image requests."""
    shown = {resolved: written for written, resolved in dom["imageErrors"] + dom["brokenImages"]}
    shown.update({url: url for url, kind in events.failed_requests if kind == "image" and url not in shown})
    return [written for resolved, written in shown.items() if resolved not in external]


def _failed_resources(events: _Events) -> list[str]:
    """Local requests other than images (scripts, stylesheets, fonts, frames) that failed."""
    return _unique([url for url, kind in events.failed_requests if kind != "image" and not _is_external(url)])


def _console(events: _Events, level: str) -> list[str]:
    """Console messages of one level; Chromium's 'Failed to load resource' echoes of reported requests are left out."""
    reported = {url for url, _ in events.failed_requests} | set(events.external_requests)
    return [
        text
        for kind, text, url in events.console
        if kind == level and not (text.startswith("Failed to load resource") and url in reported)
    ]


def _page_check(html_path: Path, screenshot_path: Path, page_url: str, dom: dict, events: _Events) -> PageCheck:
    """Turn the collected DOM facts and browser events into a PageCheck."""
    external = _external_loads(dom, events)
    broken_links, external_links = _classify_links(page_url, dom["links"], set(dom["anchors"]))
    return PageCheck(
        page=html_path,
        screenshot=screenshot_path,
        console_errors=_console(events, "error") + events.page_errors,
        console_warnings=_console(events, "warning"),
        broken_images=_broken_images(dom, events, external),
        failed_resources=_failed_resources(events),
        broken_links=broken_links,
        external_loads=external,
        external_links=_unique(external_links),
    )


def layout_problems(layout: dict) -> list[str]:
    """What the layout inspection found wrong: tables running off the screen unscrolled, a page wider than
    the screen, no viewport meta (a phone then shows the page at desktop width, shrunk)."""
    problems = [
        f"{table} past the {layout['screen']} px screen, with no scrolling container" for table in layout["overflowing"]
    ]
    if layout["pageWidth"] > layout["screen"] + 1:
        problems.append(f"page is {layout['pageWidth']} px wide on a {layout['screen']} px screen")
    if not layout["viewport"]:
        problems.append('no <meta name="viewport">')
    return problems


def accessibility_problems(page: Page) -> list[str]:
    """axe-core's serious and critical violations on the open page, one line each (rule, impact, how many
    elements, help text). axe-core comes with axe-playwright-python and is injected into the page."""
    from axe_playwright_python.sync_playwright import Axe

    violations = Axe().run(page).response.get("violations", [])
    return [
        f"{v['id']} ({v['impact']}, {len(v.get('nodes', []))} elements): {v.get('help', '')}"
        for v in violations
        if v.get("impact") in BLOCKING_IMPACTS
    ]


def check_page(
    html_path: str | Path, screenshot_path: str | Path, *, browser: Browser | None = None, width: int = WIDTHS[-1]
) -> PageCheck:
    """Open a local HTML file in headless Chromium `width` CSS pixels wide, report its problems (loading,
    links, layout, accessibility) and write a full-page PNG screenshot.

    Pass ``browser`` (from ``open_browser()``) to check many pages in one browser; without it one is started.
    """
    if browser is None:
        with open_browser() as own:
            return check_page(html_path, screenshot_path, browser=own, width=width)
    started = time.perf_counter()
    html_path, screenshot_path = _local_html(html_path), Path(screenshot_path)
    events = _Events()
    with _offline_page(browser, events, width) as page:
        _open(page, html_path)
        dom = page.evaluate(_INSPECT_DOM)
        layout = page.evaluate(_INSPECT_LAYOUT)
        screenshot_path.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=screenshot_path, full_page=True)
        result = _page_check(html_path, screenshot_path, page.url, dom, events)
        result.layout = layout_problems(layout)
        result.accessibility = accessibility_problems(page)
    result.width = width
    result.seconds = time.perf_counter() - started
    return result


def print_pdf(html_path: str | Path, pdf_path: str | Path, *, browser: Browser | None = None) -> Path:
    """Print a local HTML file to an A4 PDF (backgrounds included) through headless Chromium; returns the PDF."""
    if browser is None:
        with open_browser() as own:
            return print_pdf(html_path, pdf_path, browser=own)
    html_path, pdf_path = _local_html(html_path), Path(pdf_path)
    with _offline_page(browser, _Events()) as page:
        _open(page, html_path)
        pdf_path.parent.mkdir(parents=True, exist_ok=True)
        page.pdf(path=pdf_path, format="A4", print_background=True, margin=A4_MARGIN)
    return pdf_path


def html_pages(directory: Path) -> list[Path]:
    """Every .html file under a directory, outside its screenshots folder, in a stable order."""
    return sorted(path for path in directory.rglob("*.html") if path.relative_to(directory).parts[0] != SCREENSHOT_DIR)


def screenshot_for(directory: Path, html_path: Path, width: int = WIDTHS[-1]) -> Path:
    """Where the screenshot of a page at a width goes: <dir>/screenshots/<width>/<relative path>.png."""
    return directory / SCREENSHOT_DIR / str(width) / html_path.relative_to(directory).with_suffix(".png")


def _check_all(directory: Path, pages: list[Path], browser: Browser) -> int:
    """Check every page, print one line each, and return how many failed."""
    failures = 0
    for path in pages:
        failed = False
        for width in WIDTHS:
            try:
                result = check_page(path, screenshot_for(directory, path, width), browser=browser, width=width)
                failed |= not result.ok
                print(result.summary(directory), flush=True)
            except Exception as error:  # one page that cannot be opened must not hide the others
                failed = True
                line = f"FAIL  {path.relative_to(directory)}  {width} px  could not be checked: {error}"
                print(line.splitlines()[0], flush=True)
        failures += failed
    return failures


def _print_all(directory: Path, pages: list[Path], browser: Browser) -> int:
    """Print every page to <name>.pdf beside it, print one line each, and return how many failed."""
    failures = 0
    for path in pages:
        try:
            pdf = print_pdf(path, path.with_suffix(".pdf"), browser=browser)
            print(f"PDF   {pdf.relative_to(directory)}", flush=True)
        except Exception as error:  # go on with the other pages
            failures += 1
            print(f"FAIL  {path.relative_to(directory)}  could not be printed: {error}".splitlines()[0], flush=True)
    return failures


def _parse(argv: list[str] | None) -> argparse.Namespace:
    """Command-line arguments: a command (check or pdf) and a directory of HTML pages."""
    parser = argparse.ArgumentParser(prog="python -m analysis.tools.browser", description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["check", "pdf"], help="check pages (with screenshots) or print PDFs")
    parser.add_argument("directory", type=Path, help="folder whose .html files (at any depth) are used")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run `check` or `pdf` on every page of a directory; 0 when all pages passed, 1 on failures, 2 without Chromium."""
    args = _parse(argv)
    directory = args.directory.resolve()
    pages = html_pages(directory) if directory.is_dir() else []
    if not pages:
        print(f"no .html files under {args.directory}", file=sys.stderr)
        return 1
    try:
        with open_browser() as browser:
            failures = (_check_all if args.command == "check" else _print_all)(directory, pages, browser)
    except BrowserNotFoundError as error:
        print(error, file=sys.stderr)
        return 2
    done = "passed" if args.command == "check" else "printed"
    print(f"{len(pages) - failures} of {len(pages)} pages {done}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
