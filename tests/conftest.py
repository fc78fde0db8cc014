"""Fixtures for the unit tests: the test data folder and real photos to damage."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The test dataset (set up by the root conftest): real tiny subset or the stand-in."""
    return Path(os.environ["COLORGAN_DATA_DIR"])


@pytest.fixture(scope="session")
def photo_paths(data_dir: Path) -> list[Path]:
    return sorted(data_dir.glob("Images/*/*.jpg"))


@pytest.fixture()
def real_photo(photo_paths: list[Path]) -> Image.Image:
    """A real colour photo from the test data, as a PIL RGB image."""
    with Image.open(photo_paths[0]) as im:
        return im.convert("RGB")


@pytest.fixture(scope="session")
def real_arrays(photo_paths: list[Path]) -> list[np.ndarray]:
    """Eight real photos as float RGB arrays in [0, 1]."""
    out = []
    for p in photo_paths[::4][:8]:
        with Image.open(p) as im:
            out.append(np.asarray(im.convert("RGB"), dtype=np.float64) / 255.0)
    return out


@pytest.fixture(scope="session")
def splits(data_dir: Path) -> dict:
    """The smoke preset's train/val/test split of the test data."""
    from colorgan_utils.config import get_config
    from colorgan_utils.data import load_splits

    return load_splits(get_config("smoke", environ={}, data_dir=str(data_dir)))[1]


# The page the browser test serves with Voilà (tests/test_browser.py), not a notebook for nbval.
collect_ignore_glob = ["browser/*.ipynb"]
