"""What a deployment installs: Streamlit Community Cloud takes the first of uv.lock, Pipfile,
environment.yml and requirements.txt; a laptop takes requirements.txt. Both must list the same
packages, and only the Pipfile may point PyTorch at its CPU index."""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def requirements() -> dict[str, str]:
    lines = (ROOT / "requirements.txt").read_text().splitlines()
    pairs = (re.match(r"([A-Za-z0-9_.-]+)\s*(.*)", line).groups() for line in lines if line and line[0] != "#")
    return {name.lower(): spec.strip() for name, spec in pairs}


def test_community_cloud_reads_the_pipfile_with_the_same_packages():
    assert not any((ROOT / f).exists() for f in ("uv.lock", "environment.yml")), "it would be read first"
    pipfile = tomllib.loads((ROOT / "Pipfile").read_text())
    packages = {
        name.lower(): spec if isinstance(spec, str) else spec["version"] for name, spec in pipfile["packages"].items()
    }
    assert packages == requirements()


def test_torch_comes_from_the_cpu_index_on_the_cloud_and_is_pinned_everywhere():
    pipfile = tomllib.loads((ROOT / "Pipfile").read_text())
    sources = {s["name"]: s["url"] for s in pipfile["source"]}
    assert sources[pipfile["packages"]["torch"]["index"]] == "https://download.pytorch.org/whl/cpu"
    assert requirements()["torch"] == "==2.13.0"
