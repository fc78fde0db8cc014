"""Test settings shared by the unit tests (tests/) and the notebooks run by nbval (notebooks/).

Before any kernel starts: smoke mode on, the exercises' solution cells run, a work folder in pytest's temp dir (the notebooks
chain through it), and COLORGAN_DATA_DIR at ../shared/data/stanford-dogs-tiny, or, where that
is absent, at a stand-in folder built from scikit-image's bundled photos (said in the header).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent
TINY = ROOT.parent / "shared" / "data" / "stanford-dogs-tiny"
WEIGHTS = ROOT.parent / "shared" / "weights"  # the official MobileNetV2 files (read-only)
_DATA_NOTE = ""


def _keras_cache(base: Path) -> str:
    """A writable Keras cache for the run (never ~/.keras, never ../shared): the official
    MobileNetV2 files copied into ``models/`` where ../shared has them, else empty (the
    notebooks then build the encoder with random weights and say so; nothing downloads)."""
    models = base / "keras" / "models"
    models.mkdir(parents=True)
    copied = []
    for src in sorted(WEIGHTS.glob("mobilenet_v2_*_no_top.h5")):
        shutil.copyfile(src, models / src.name)
        copied.append(src.name)
    os.environ["KERAS_HOME"] = str(base / "keras")
    return (f"encoder weights: {len(copied)} official MobileNetV2 file(s) from {WEIGHTS}"
            if copied else f"encoder weights: {WEIGHTS} is absent, so the encoder is random")


def pytest_configure(config: pytest.Config) -> None:
    global _DATA_NOTE
    os.environ["COLORGAN_SMOKE"] = "1"
    os.environ.setdefault("COLORGAN_SOLUTIONS", "1")  # every solution cell and its check runs in CI
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
    _DATA_NOTE += "\n" + _keras_cache(base)


def pytest_report_header(config: pytest.Config) -> str:
    return _DATA_NOTE
