"""The app's pages, in the order of the guided path: the home page lists them in this order.

A page is a file `app_pages/<name>.py` with its strings in `assets/i18n/<lang>/<name>.json`
(at least `title` and `summary`); a page file not listed here is appended at the end.
"""

from __future__ import annotations

from pathlib import Path

PAGES_DIR = Path(__file__).resolve().parent.parent / "app_pages"
ORDER = (
    ("home", ":material/home:"),
    ("foundations", ":material/school:"),
    ("optimizers", ":material/trending_down:"),
    ("initialization", ":material/scatter_plot:"),
    ("batch_norm", ":material/equalizer:"),
    ("regularization", ":material/shield:"),
    ("hyperparameter_search", ":material/tune:"),
    ("mnist_lab", ":material/draw:"),
    ("compare_runs", ":material/compare_arrows:"),
)


# Experiments live in `core/experiments/<topic>.py` (`core.runs.page_of` gives the topic); most
# topics have a page of the same name, these are shown on another.
TOPIC_PAGES = {
    "batchnorm": "batch_norm",
    "clipping": "foundations",
    "learning_rate": "foundations",
    "hpo": "hyperparameter_search",
}


def page_of(topic: str) -> str:
    """The page that shows the experiments of `topic`."""
    return TOPIC_PAGES.get(topic, topic)


def pages() -> list[tuple[str, str]]:
    """(name, icon) of every page that exists, in guided-path order."""
    present = {p.stem for p in PAGES_DIR.glob("*.py") if not p.stem.startswith("_")}
    known = [(name, icon) for name, icon in ORDER if name in present]
    extra = sorted(present - {name for name, _ in ORDER})
    return known + [(name, ":material/article:") for name in extra]
