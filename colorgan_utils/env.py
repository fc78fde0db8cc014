"""Where the code runs: Colab or not, Drive (opt-in), work folders, GPUs, distribution strategy.

Taught in the Setup section of every notebook (first in ``01_data_preparation.ipynb``).
Nothing here runs at import time except the cheap ``IS_COLAB`` check.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

IS_COLAB: bool = "google.colab" in sys.modules

# where Colab mounts Drive (COLORGAN_DRIVE_MOUNT: another place, e.g. for tests/test_colab.py)
DRIVE_MOUNT_POINT = os.environ.get("COLORGAN_DRIVE_MOUNT", "/content/drive")
DRIVE_FOLDER = "MyDrive/colorgan"

GPU_HINT = (
    "No GPU found. Training will be slow on the CPU. On Colab choose "
    "Runtime > Change runtime type > Hardware accelerator: GPU (T4 is enough), then re-run."
)


def mount_drive(mount_point: str = DRIVE_MOUNT_POINT) -> Path:
    """Mount Google Drive (Colab only, and only when you call this) and return our folder on it.

    Work written there (the downloaded tar, runs, checkpoints) survives a runtime disconnect.
    """
    if not IS_COLAB:
        raise RuntimeError("mount_drive() works only inside Google Colab")
    from google.colab import drive  # type: ignore[import-not-found]

    drive.mount(mount_point)
    folder = Path(mount_point) / DRIVE_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def drive_folder() -> Path | None:
    """Our folder on Google Drive if Drive is mounted, else ``None``."""
    folder = Path(DRIVE_MOUNT_POINT) / DRIVE_FOLDER
    return folder if folder.is_dir() else None


def work_dir(create: bool = True) -> Path:
    """Folder for everything a run keeps: ``COLORGAN_WORK_DIR``, else Drive, else ``./colorgan_work``.

    Notebooks chain through this folder (data cache, weights, runs).
    """
    env = os.environ.get("COLORGAN_WORK_DIR")
    if env:
        path = Path(env).expanduser()
    else:
        path = drive_folder() or Path.cwd() / "colorgan_work"
    if create:
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OSError(f"cannot create the work folder {path}: {exc}") from exc
    return path


def _ensure(path: Path, create: bool) -> Path:
    if create:
        path.mkdir(parents=True, exist_ok=True)
    return path


def data_cache_dir(create: bool = True) -> Path:
    """Where downloaded archives are kept (on Drive when mounted, so they survive resets)."""
    return _ensure(work_dir(create) / "downloads", create)


def local_data_dir(create: bool = True) -> Path:
    """Where archives are extracted: the machine's own disk (``/content`` on Colab).

    Reading 20,000 small files from Drive is slow, so extraction never goes to Drive.
    """
    env = os.environ.get("COLORGAN_LOCAL_DIR")
    if env:
        path = Path(env).expanduser()
    elif IS_COLAB:
        path = Path("/content/colorgan_data")
    else:
        path = work_dir(create) / "data"
    return _ensure(path, create)


def runs_dir(create: bool = True) -> Path:
    """Where training runs live (one sub-folder each)."""
    return _ensure(work_dir(create) / "runs", create)


def gpu_info() -> list[dict[str, Any]]:
    """The visible GPUs with the name and compute capability TensorFlow reports."""
    import tensorflow as tf

    out = []
    for gpu in tf.config.list_physical_devices("GPU"):
        details = tf.config.experimental.get_device_details(gpu)
        out.append({"device": gpu.name, **details})
    return out


def describe_hardware() -> str:
    """One line on the accelerator in use, with a hint to switch runtime when there is none."""
    gpus = gpu_info()
    if gpus:
        names = ", ".join(str(g.get("device_name", g["device"])) for g in gpus)
        return f"{len(gpus)} GPU(s): {names}"
    return GPU_HINT


def get_strategy(kind: str = "auto") -> Any:
    """A ``tf.distribute`` strategy. ``auto``: TPU on a Colab TPU runtime, Mirrored over >1 GPU,
    else the default. ``mirrored``: Mirrored over all GPUs, or over all logical CPUs when there
    is no GPU (how the tests split one CPU in two). ``default``: no distribution.

    Keras splits each global batch (``cfg.batch_size``) evenly across the replicas.
    """
    import tensorflow as tf

    if kind not in ("auto", "mirrored", "default"):
        raise ValueError(f"unknown strategy {kind!r}: use auto, mirrored or default")
    if kind == "default":
        return tf.distribute.get_strategy()
    if kind == "auto" and (os.environ.get("COLAB_TPU_ADDR") or os.environ.get("TPU_NAME")):
        try:
            resolver = tf.distribute.cluster_resolver.TPUClusterResolver()
            tf.config.experimental_connect_to_cluster(resolver)
            tf.tpu.experimental.initialize_tpu_system(resolver)
            return tf.distribute.TPUStrategy(resolver)
        except (ValueError, RuntimeError) as exc:  # pragma: no cover - needs a TPU
            print(f"TPU runtime detected but not usable ({exc}); using the default strategy")
    gpus = tf.config.list_logical_devices("GPU")
    if kind == "mirrored":
        devices = gpus or tf.config.list_logical_devices("CPU")
        return tf.distribute.MirroredStrategy([d.name for d in devices])
    if len(gpus) > 1:
        return tf.distribute.MirroredStrategy()
    return tf.distribute.get_strategy()
