"""Two worker processes fill one study in a shared storage: no trial lost, none duplicated."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import optuna
import pytest

from core import hpo
from core.commands.search import stop_on_signals
from core.hpo import HyperSearch

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("kind", ["sqlite", "journal"])
def test_two_workers_complete_one_study(tmp_path, kind):
    url = f"sqlite:///{tmp_path / 'studies.db'}" if kind == "sqlite" else f"journal:{tmp_path / 'study.log'}"
    spec = HyperSearch(n_train=60, epochs=1, depth=1, width=8, ask_batch=1, storage=url, study="shared")
    hpo.create_study(spec)
    per_worker = 3
    command = [sys.executable, "-m", "core", "search-worker", "--study", "shared", "--storage", url]
    workers = [
        subprocess.Popen([*command, "--trials", str(per_worker), "--seed", str(seed)], cwd=ROOT, stderr=subprocess.PIPE)
        for seed in (1, 2)
    ]
    for w in workers:
        _, err = w.communicate(timeout=300)
        assert w.returncode == 0, err.decode()
    study, _ = hpo.join_study("shared", url)
    trials = study.get_trials()
    assert sorted(t.number for t in trials) == list(range(2 * per_worker))
    assert all(t.state == optuna.trial.TrialState.COMPLETE and "result" in t.user_attrs for t in trials)
    assert len({t.params["lr"] for t in trials}) == 2 * per_worker  # the workers sampled apart
    assert len(hpo.study_frames(study)["trials"]) == 2 * per_worker


def test_ctrl_c_asks_a_worker_to_stop_and_a_second_one_stops_it_at_once():
    """What the Workers tab promises: Ctrl+C (or kill) raises the worker's stop flag, so the trials
    in training are told failed instead of staying "running"; the handlers go back afterwards."""
    before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    with stop_on_signals() as stop:
        assert not stop()
        os.kill(os.getpid(), signal.SIGTERM)
        assert stop()
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGINT)
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before
