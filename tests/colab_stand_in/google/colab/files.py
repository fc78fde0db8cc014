"""Stand-in ``google.colab.files``."""

import os
from pathlib import Path

from google.colab import _log


def upload() -> dict:
    folder = Path(os.environ.get("COLAB_STAND_IN_UPLOADS", "/nonexistent"))
    picked = {p.name: p.read_bytes() for p in sorted(folder.iterdir())} if folder.is_dir() else {}
    _log(f"files.upload {sorted(picked)}")
    return picked


def download(filename: str) -> None:
    _log(f"files.download {filename}")
