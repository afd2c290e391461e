"""Opening a page and running a background job in Streamlit's AppTest, shared by the page tests."""

from pathlib import Path

from streamlit.testing.v1 import AppTest

from ui import runner

ROOT = Path(__file__).resolve().parents[2]


def open_page(page: str | None = None, lang: str = "en") -> AppTest:
    """The app in `lang`, switched to `app_pages/<page>.py` (the home page when None)."""
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=180)
    at.session_state["lang"] = lang
    at.run()
    if page:
        at.switch_page(f"app_pages/{page}.py")
        at.run()
    assert not at.exception, at.exception
    return at


def train_and_wait(at: AppTest, key: str, spec) -> None:
    """Click a train button, wait for the background job of `spec`, and draw its result."""
    at.button(key=key).click()
    at.run()
    job = runner.wait(spec)
    assert job is not None and job.done and job.error is None, job and job.error
    at.run()
    assert not at.exception
