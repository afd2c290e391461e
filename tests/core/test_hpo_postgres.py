"""Search workers on several machines share one PostgreSQL database: a real server (Debian's
`postgresql`, started here on localhost) and two `search-worker` processes completing one study,
the page's way of attaching to it, and a worker whose database goes away mid-study."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import optuna
import pytest

from core import hpo
from core.hpo import HyperSearch

ROOT = Path(__file__).resolve().parents[2]
pytest.importorskip("psycopg", reason="the PostgreSQL driver: pip install 'psycopg[binary]'")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Postgres:
    """A throwaway PostgreSQL server: its own data folder, a free port, trust on localhost. As
    root it runs as the `postgres` user, since PostgreSQL refuses to run as root."""

    def __init__(self):
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb")) or [shutil.which("initdb") or ""]
        if not found[-1]:
            pytest.skip("PostgreSQL is not installed (Debian: apt-get install postgresql)")
        self.bin = Path(found[-1]).parent
        self.dir = Path(tempfile.mkdtemp(prefix="lab-pg-"))
        self.port = free_port()
        self.user = "postgres" if os.geteuid() == 0 else None
        if self.user:
            shutil.chown(self.dir, self.user)
        self.run("initdb", "-D", str(self.dir / "data"), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        self.start()
        self.run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "optuna")
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/optuna"

    def run(self, tool: str, *args: str) -> None:
        command = [str(self.bin / tool), *args]
        if self.user:
            command = ["runuser", "-u", self.user, "--", *command]
        subprocess.run(command, check=True, capture_output=True, cwd=self.dir)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1"
        self.run("pg_ctl", "-D", str(self.dir / "data"), "-o", options, "-l", str(self.dir / "log"), "-w", "start")

    def stop(self) -> None:
        self.run("pg_ctl", "-D", str(self.dir / "data"), "-m", "immediate", "-w", "stop")


@pytest.fixture(scope="module")
def postgres():
    server = Postgres()
    yield server
    try:
        server.stop()
    except subprocess.CalledProcessError:
        pass  # already stopped
    shutil.rmtree(server.dir, ignore_errors=True)


def worker(url: str, trials: int, seed: int) -> subprocess.Popen:
    command = [sys.executable, "-m", "core", "search-worker", "--study", "pg", "--storage", url]
    return subprocess.Popen([*command, "--trials", str(trials), "--seed", str(seed)], cwd=ROOT, stderr=subprocess.PIPE)


def test_two_workers_complete_one_study_and_the_page_attaches(postgres):
    spec = HyperSearch(n_train=60, epochs=1, depth=1, width=8, ask_batch=1, storage=postgres.url, study="pg")
    hpo.create_study(spec)
    workers = [worker(postgres.url, 3, seed) for seed in (1, 2)]
    for w in workers:
        _, err = w.communicate(timeout=300)
        assert w.returncode == 0, err.decode()
    study, attached = hpo.join_study("pg", postgres.url)  # what the Workers tab does
    trials = study.get_trials()
    assert sorted(t.number for t in trials) == list(range(6))
    assert all(t.state == optuna.trial.TrialState.COMPLETE and "result" in t.user_attrs for t in trials)
    assert attached.epochs == 1 and len(hpo.study_frames(study)["trials"]) == 6
    assert "pg" in hpo.study_names(postgres.url)


def test_a_worker_whose_database_goes_away_says_so_and_the_finished_trials_stay(postgres):
    spec = HyperSearch(n_train=200, epochs=3, depth=2, width=32, ask_batch=1, storage=postgres.url, study="gone")
    hpo.create_study(spec)
    command = [sys.executable, "-m", "core", "search-worker", "--study", "gone", "--storage", postgres.url]
    w = subprocess.Popen([*command, "--trials", "500", "--seed", "3"], cwd=ROOT, stderr=subprocess.PIPE, text=True)
    study, _ = hpo.join_study("gone", postgres.url)
    deadline = time.time() + 120
    while not any(t.state == optuna.trial.TrialState.COMPLETE for t in study.get_trials()):
        assert time.time() < deadline and w.poll() is None, "no trial finished"
        time.sleep(0.2)
    postgres.stop()
    _, err = w.communicate(timeout=120)
    postgres.start()
    assert w.returncode == 3, err
    assert "lost its connection to the study's storage" in err and "Traceback" not in err
    finished = [t for t in hpo.join_study("gone", postgres.url)[0].get_trials() if t.state.is_finished()]
    assert finished and all(t.state == optuna.trial.TrialState.COMPLETE for t in finished)


def test_the_workers_tab_attaches_to_the_study(postgres):
    from streamlit.testing.v1 import AppTest  # the page, as a teacher uses it

    if "pg" not in hpo.study_names(postgres.url):  # run alone: fill the study here
        spec = HyperSearch(n_train=60, epochs=1, depth=1, width=8, ask_batch=1, storage=postgres.url, study="pg")
        hpo.create_study(spec)
        hpo.run_trials(hpo.join_study("pg", postgres.url, 1)[0], spec, 2)
    n = len(hpo.study_frames(hpo.join_study("pg", postgres.url)[0])["trials"])
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=120)
    at.session_state["lang"] = "en"
    at.run()
    at.switch_page("app_pages/hyperparameter_search.py")
    at.run()
    at.text_input(key="hps.storage").set_value(postgres.url)
    at.run()
    assert not at.exception and at.selectbox(key="hps.watch").options
    at.selectbox(key="hps.watch").set_value("pg")
    at.toggle(key="hps.watching").set_value(True)
    at.run()
    assert not at.exception
    assert n and any(f"{n} finished trials" in c.value for c in at.caption), [c.value for c in at.caption]
