"""The app's pages in sections, in the order of the guided path: the sidebar and the home page
list them so.

A page is a file `app_pages/<name>.py` with its strings in `assets/i18n/<lang>/<name>.json`
(at least `title` and `summary`); a page file not listed here is appended to the last section.
Its URL is `/<name>`: a page that is split keeps its old name as an overview of the new ones,
so that old links still open.
"""

from __future__ import annotations

from pathlib import Path

PAGES_DIR = Path(__file__).resolve().parent.parent / "app_pages"
SECTIONS = {  # section (its title is `common.section_<name>`) -> (page, icon)
    "start": (("home", ":material/home:"),),
    "foundations": (
        ("foundations", ":material/school:"),
        ("learning_rate", ":material/speed:"),
        ("clipping", ":material/content_cut:"),
        ("input_normalization", ":material/straighten:"),
        ("loss_functions", ":material/functions:"),
        ("gradient_checking", ":material/fact_check:"),
        ("activations", ":material/show_chart:"),
    ),
    "techniques": (
        ("optimizers", ":material/trending_down:"),
        ("initialization", ":material/scatter_plot:"),
        ("batch_norm", ":material/equalizer:"),
        ("regularization", ":material/shield:"),
    ),
    "practice": (
        ("hyperparameter_search", ":material/tune:"),
        ("mnist_lab", ":material/draw:"),
        ("compare_runs", ":material/compare_arrows:"),
    ),
}


# Experiments live in `core/experiments/<topic>.py` (`core.runs.page_of` gives the topic); most
# topics have a page of the same name, these are shown on another.
TOPIC_PAGES = {
    "batchnorm": "batch_norm",
    "hpo": "hyperparameter_search",
}


def page_of(topic: str) -> str:
    """The page that shows the experiments of `topic`."""
    return TOPIC_PAGES.get(topic, topic)


def sections() -> dict[str, list[tuple[str, str]]]:
    """section -> (name, icon) of every page that exists, in guided-path order."""
    present = {p.stem for p in PAGES_DIR.glob("*.py") if not p.stem.startswith("_")}
    out = {s: [(name, icon) for name, icon in pages if name in present] for s, pages in SECTIONS.items()}
    listed = {name for pages in SECTIONS.values() for name, _ in pages}
    out[list(SECTIONS)[-1]] += [(name, ":material/article:") for name in sorted(present - listed)]
    return {s: pages for s, pages in out.items() if pages}


def pages() -> list[tuple[str, str]]:
    """(name, icon) of every page that exists, in guided-path order."""
    return [page for pages in sections().values() for page in pages]
