"""`python -m core`: the same core from the command line, called in-process (`core.__main__.main`)
except for one smoke test of the real `python -m core`."""

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from core.__main__ import main

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Out:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def cli(capsys):
    def call(*args: str) -> Out:
        code = main(list(args))
        out = capsys.readouterr()
        return Out(code, out.out, out.err)

    return call


def test_python_m_core_help_lists_the_commands():
    out = subprocess.run(
        [sys.executable, "-m", "core", "--help"], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0
    for command in ("run", "list", "path", "bench"):
        assert command in out.stdout


def test_path_json_has_start_plus_n_points(cli):
    out = cli(
        "path",
        "--surface",
        "knou",
        "--optimizer",
        "nesterov",
        "--start",
        "-5",
        "4",
        "--steps",
        "100",
        "--lr",
        "0.01",
        "--momentum",
        "0.9",
        "--json",
    )
    doc = json.loads(out.stdout)
    assert len(doc["path"]) == 101 and doc["path"][0] == [-5.0, 4.0]
    assert abs(doc["final"][0] - -0.00850) < 5e-5 and abs(doc["final"][1] - -0.00174) < 5e-5


def test_path_uses_book_defaults(cli):
    doc = json.loads(cli("path", "--surface", "book", "--optimizer", "sgd", "--steps", "1", "--json").stdout)
    assert doc["path"][0] == [-7.0, 2.0]  # the book's start point is the surface default
    assert abs(doc["final"][0] - (-7.0 + 0.01 * 0.7)) < 1e-12  # lr 0.01, gradient x/10 = -0.7


def test_run_optimizers_mnist_small_json(cli):
    out = cli("run", "optimizers-mnist", "--preset", "book", "--iterations", "20", "--n-train", "512", "--json")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert set(doc) == {"sgd", "momentum", "adagrad", "adam"}
    for row in doc.values():
        assert 0.0 <= row["test_accuracy"] <= 1.0 and row["final_smoothed_loss"] > 0 and row["seconds"] > 0


def test_bad_input_is_a_message_not_a_traceback(cli):
    out = cli("run", "optimizers-mnist", "--preset", "nope")
    assert out.returncode == 2 and "no preset" in out.stderr and "Traceback" not in out.stderr
    out = cli("run", "optimizers-mnist", "--iterations", "0")
    assert out.returncode == 2 and "at least 1" in out.stderr and "Traceback" not in out.stderr
    out = cli("path", "--optimizer", "sgd", "--lr", "1000")
    assert out.returncode == 2 and "outside" in out.stderr
