"""Shared test setup: a throwaway result store, and two CPU threads like the reference machine."""

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("LAB_STORE", str(Path(tempfile.mkdtemp(prefix="lab-test-")) / "results.sqlite"))
os.environ.setdefault("LAB_STRICT", "1")  # a page error fails the test instead of becoming a message
os.environ.setdefault("LAB_PRESETS", "off")  # page tests press Train on presets; test_presets checks the shipped ones

import pytest  # noqa: E402
import torch  # noqa: E402

torch.set_num_threads(min(2, torch.get_num_threads()))


@pytest.fixture(scope="module")
def one_thread():
    """On the shared 2-core machine one thread per process is several times faster for the
    smallest networks; modules opt in with `pytestmark = pytest.mark.usefixtures("one_thread")`."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)
