"""Shared test setup: a throwaway result store, and two CPU threads like the reference machine."""

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("LAB_STORE", str(Path(tempfile.mkdtemp(prefix="lab-test-")) / "results.sqlite"))
os.environ.setdefault("LAB_DATA_DIR", str(ROOT.parent / "shared" / "data"))

import torch  # noqa: E402

torch.set_num_threads(min(2, torch.get_num_threads()))
