"""Screenshots of each kind of page at 1280 and 390 px, into docs/screenshots/.

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots] [--port 8795]

Builds the bundled example (examples/arrow-liyuan-liu) into a temporary store whose base IRI is the
address served, runs `kg serve` on 127.0.0.1, opens each page in headless Chromium (Debian's
/usr/bin/chromium, or KG_CHROMIUM) through Playwright, saves the visible part of the page (not the
whole length) in a palette of 48 colours (Pillow, the `dev` extra: the pictures stay small), then
stops the server by its process id. For each page it prints whether the page scrolls sideways.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "arrow-liyuan-liu"

# Each kind of page of the site, on the example graph: (file name, path).
PAGES = [
    ("home", "/"),  # the search-first home
    ("query", "/query"),  # the query editor
    ("search", "/clusters?name=Liu"),
    ("cluster", "/clusters/Liyuan%20Liu"),
    ("pairs", "/clusters/Liyuan%20Liu?pairs=true"),
    ("author", "/author/liyuan-liu-a"),
    ("paper", "/paper/2024-fast-electra-for-efficient-pre-training"),
    ("venue", "/venue/iclr"),
    ("path", "/path?from=Yiping%20Wang&to=Hong%20Chen&by=cluster"),
    ("person", "/author/liyuan-liu-a/person"),
    ("sparql", "/sparql"),  # the endpoint in a browser: its service description as a table
    ("error", "/clusters/Nobody%20Of%20That%20Name"),
]
WIDTHS = {"": (1280, 720), "-390": (390, 760)}
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]


def _small(png: Path, colours: int = 48) -> None:
    """The screenshot in `colours` colours (a palette PNG, a fraction of the size): pages are mostly
    flat colour and text, which a small palette keeps legible."""
    from PIL import Image

    with Image.open(png) as im:
        small = im.convert("RGB").quantize(colours, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    small.save(png, optimize=True)


def _wait(url: str, seconds: float = 60) -> None:
    end = time.monotonic() + seconds
    while True:
        try:
            urllib.request.urlopen(url + "api/stats", timeout=5).read()
            return
        except OSError:
            if time.monotonic() > end:
                raise
            time.sleep(0.3)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    ap.add_argument("--port", type=int, default=8795)
    a = ap.parse_args()
    from playwright.sync_api import sync_playwright

    kg = [sys.executable, "-m", "kg"]
    base = f"http://127.0.0.1:{a.port}/"
    a.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "store"
        subprocess.run([*kg, "build", str(EXAMPLE), "--store", str(store), "--base-iri", base], check=True,
                       stdout=subprocess.DEVNULL)
        server = subprocess.Popen([*kg, "serve", "--store", str(store), "--host", "127.0.0.1", "--port", str(a.port)],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            _wait(base)
            chromium = os.environ.get("KG_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=chromium, args=ARGS)
                for suffix, (w, h) in WIDTHS.items():
                    page = browser.new_page(viewport={"width": w, "height": h})
                    for name, path in PAGES:
                        page.goto(base + path.lstrip("/"))
                        page.wait_for_load_state("networkidle")
                        wide = page.evaluate("document.scrollingElement.scrollWidth")
                        sideways = " (scrolls sideways)" if wide > w else ""
                        print(f"{name}{suffix}: {w} px wide, content {wide} px{sideways}")
                        page.screenshot(path=str(a.out / f"{name}{suffix}.png"))
                        _small(a.out / f"{name}{suffix}.png")
                    page.close()
                browser.close()
        finally:
            server.terminate()
            server.wait(10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
