"""Test settings shared by the unit tests (tests/) and the notebooks run by nbval (notebooks/).

Before any kernel starts: smoke mode on, a work folder in pytest's temp dir (the notebooks
chain through it), and COLORGAN_DATA_DIR at ../shared/data/stanford-dogs-tiny, or, where that
is absent, at a stand-in folder built from scikit-image's bundled photos (said in the header).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent
TINY = ROOT.parent / "shared" / "data" / "stanford-dogs-tiny"
_DATA_NOTE = ""


def pytest_configure(config: pytest.Config) -> None:
    global _DATA_NOTE
    os.environ["COLORGAN_SMOKE"] = "1"
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("MPLBACKEND", "Agg")
    base = Path(tempfile.mkdtemp(prefix="colorgan-tests-"))
    os.environ["COLORGAN_WORK_DIR"] = str(base / "work")
    if os.environ.get("COLORGAN_TEST_DATA"):
        data = Path(os.environ["COLORGAN_TEST_DATA"])
        _DATA_NOTE = f"test data: {data} (COLORGAN_TEST_DATA)"
    elif TINY.is_dir():
        data = TINY
        _DATA_NOTE = f"test data: {data} (32 real Stanford Dogs photos)"
    else:
        from colorgan_utils.sample_data import make_sample_dataset

        data = make_sample_dataset(base / "sample-data")
        _DATA_NOTE = (f"test data: {TINY} is absent, so a stand-in folder was built from "
                      f"scikit-image's bundled colour photos at {data}")
    os.environ["COLORGAN_DATA_DIR"] = str(data)


def pytest_report_header(config: pytest.Config) -> str:
    return _DATA_NOTE
