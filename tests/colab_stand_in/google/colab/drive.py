"""Stand-in ``google.colab.drive``."""

import os
from pathlib import Path

from google.colab import _log


def mount(mountpoint: str, force_remount: bool = False, **kwargs) -> None:
    expected = os.environ.get("COLORGAN_DRIVE_MOUNT")
    if expected and os.path.abspath(mountpoint) != os.path.abspath(expected):
        raise ValueError(f"stand-in Drive: asked to mount at {mountpoint}, not {expected}")
    (Path(mountpoint) / "MyDrive").mkdir(parents=True, exist_ok=True)
    _log(f"drive.mount {mountpoint}")
