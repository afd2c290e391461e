"""The real app served by `streamlit run`, driven by Playwright in Debian's Chromium."""

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "screenshots"
CHROMIUM = os.environ.get("LAB_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(**env: str):
    """`streamlit run` on a free port with its own store; yields (url, store path)."""
    port = free_port()
    store = Path(tempfile.mkdtemp(prefix="lab-e2e-")) / "results.sqlite"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "streamlit_app.py",
            "--server.headless",
            "true",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
        ],
        cwd=ROOT,
        env={**os.environ, "LAB_STORE": str(store), **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 90
    while time.time() < deadline:
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).status == 200:
                break
        except OSError:
            time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail("the app did not start")
    try:
        yield url, store
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.fixture(scope="session")
def app_url():
    """The app as on a laptop (LAB_CLEAR=all)."""
    yield from (url for url, _ in serve())


@pytest.fixture(scope="session")
def presets_app():
    """The app as a fresh deployment serves it: the shipped course presets shown at once."""
    yield from (url for url, _ in serve(LAB_PRESETS="on"))


@pytest.fixture(scope="session")
def shared_app():
    """The app as a class shares it (LAB_CLEAR=own): (url, store path)."""
    yield from serve(LAB_CLEAR="own")


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()
