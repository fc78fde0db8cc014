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


MINIMUM = {"Python": (3, 10), "TensorFlow": (2, 16), "Keras": (3, 0)}


def version_tuple(version: str) -> tuple[int, ...]:
    """``"2.16.1"`` -> ``(2, 16)``: the major and minor numbers (``"3.0.0rc1"`` -> ``(3, 0)``)."""
    parts = []
    for p in version.split(".")[:2]:
        digits = "".join(ch for ch in p if ch.isdigit()) or "0"
        parts.append(int(digits))
    return tuple(parts)


def check_versions(python: str, tensorflow: str, keras: str) -> list[str]:
    """What is too old among the three, as sentences (empty when all is well)."""
    have = {"Python": version_tuple(python), "TensorFlow": version_tuple(tensorflow),
            "Keras": version_tuple(keras)}
    return [f"{name} {'.'.join(map(str, have[name]))} is too old: {name} "
            f"{'.'.join(map(str, need))} or newer is needed"
            for name, need in MINIMUM.items() if have[name] < need]


def enable_colab_widgets() -> bool:
    """On Colab, turn on the custom widget manager that ipywidgets 8 needs there
    (googlecolab/colabtools#4525); a no-op returning False elsewhere or when it is missing."""
    try:
        from google.colab import output  # type: ignore[import-not-found]
    except ImportError:
        return False
    enable = getattr(output, "enable_custom_widget_manager", None)
    if enable is None:
        return False
    enable()
    return True


def setup(use_drive: bool = False) -> Path:
    """The one Setup call of every notebook (01-05), after its install cell: checks Python 3.10+,
    TensorFlow 2.16+ and Keras 3 (one clear error naming what is too old), says which hardware
    runs the notebook, and on Colab mounts Google Drive when ``use_drive`` (nothing is mounted
    otherwise: a warning says the work folder is lost on a disconnect) and turns on the widget
    manager; keeps the exercises' solution cells from running on "Run all"
    (:mod:`colorgan_utils.exercises`). Returns the work folder (:func:`work_dir`)."""
    import keras
    import tensorflow as tf

    python = ".".join(map(str, sys.version_info[:3]))
    problems = check_versions(python, tf.__version__, keras.__version__)
    if problems:
        raise RuntimeError("; ".join(problems) + " (on Colab: Runtime > Restart session after "
                           "pip install -U tensorflow keras)")
    print(f"Python {python} | TensorFlow {tf.__version__} | Keras {keras.__version__}")
    print(describe_hardware())
    colab = "google.colab" in sys.modules
    if colab:
        enable_colab_widgets()  # the slider, the quiz and the upload are ipywidgets
        if use_drive:
            print("Drive folder:", mount_drive())
        else:
            print("Warning: the work folder is on this VM only; a disconnect or a runtime reset "
                  "loses it (set USE_DRIVE = True to keep it on Drive).")
    elif use_drive:
        print("USE_DRIVE only applies on Colab: the work folder stays on this machine.")
    from colorgan_utils.exercises import gate_solutions

    gate_solutions()  # solution cells do not run on "Run all" (show_solutions() lets them)
    folder = work_dir()
    print("Work folder:", folder)
    return folder


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
