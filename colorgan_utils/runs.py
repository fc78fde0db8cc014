"""The run folder, and the only module that knows where a run's files live: their names, the
lock, the saved settings and status, every check before a run starts or resumes
(:func:`prepare`), the history, compact ``.npz`` model files, and finding and loading a run's
generator and discriminator (the shipped pair when there is no run).

Taught in notebook 04 (what a run leaves on disk) and notebook 05 (loading a run). A run
folder holds:

``config.json`` settings · ``history.csv`` one row per epoch · ``state.json`` epochs done /
finished · ``best.json`` which epoch is "best" · ``generator_{best,last}.keras`` and
``discriminator_{best,last}.keras`` · ``backup/`` weights + optimizers for resuming ·
``samples/epoch_NNN.png`` · ``logs/`` TensorBoard · ``split.json`` which photos trained (a
fingerprint, checked on resume) · ``train.lock`` while a ``train`` process owns the folder.
"""

from __future__ import annotations

import json
import os
import socket
import time
import warnings
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, NamedTuple

from colorgan_utils.config import Config
from colorgan_utils.errors import RunError, TrainingError

CONFIG = "config.json"
HISTORY = "history.csv"
STATE = "state.json"
BEST = "best.json"
BACKUP = "backup"
SAMPLES = "samples"
LOGS = "logs"
LOCK = "train.lock"
SPLIT = "split.json"
PENDING = "history.pending.json"  # the epoch's history row until its backup is written
# inside BACKUP: Keras' BackupAndRestore names its files
BACKUP_WEIGHTS, BACKUP_META = "latest.weights.h5", "training_metadata.json"
# the shipped generators: the default (on the pretrained MobileNetV2 encoder) and, for the
# course's comparison (notebook 02), the from-scratch U-Net
PRETRAINED = Path(__file__).resolve().parent / "pretrained" / "generator_128.npz"
PRETRAINED_SCRATCH = PRETRAINED.with_name("generator_scratch_128.npz")
# the control of the GAN ablation: the same start and budget, L1 only (notebook 04 compares)
PRETRAINED_L1 = PRETRAINED.with_name("generator_l1_128.npz")
# the GAN's own discriminator: the same run and epoch as the shipped generator, nothing retrained
PRETRAINED_DISCRIMINATOR = PRETRAINED.with_name("discriminator_128.npz")
# the hinted generator (notebook 07): the default one extended to take colour hints
PRETRAINED_HINTS = PRETRAINED.with_name("generator_hints_128.npz")


def model_file(run_dir: str | os.PathLike, network: str, which: str) -> Path:
    """``<run>/<network>_<which>.keras`` for ``network`` in generator/discriminator and
    ``which`` in best/last."""
    if network not in ("generator", "discriminator") or which not in ("best", "last"):
        raise ValueError(f"no such run file: {network}_{which}")
    return Path(run_dir) / f"{network}_{which}.keras"


def sample_file(run_dir: str | os.PathLike, epoch: int) -> Path:
    """``<run>/samples/epoch_NNN.png``: the sample grid written after ``epoch`` (from 1)."""
    return Path(run_dir) / SAMPLES / f"epoch_{epoch:03d}.png"


def read_json(path: str | os.PathLike) -> dict[str, Any]:
    """A run's JSON file; a damaged one raises :class:`RunError` naming it."""
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise RunError(f"{path} is damaged ({exc}); delete it or restore it from a copy") from exc
    if not isinstance(data, dict):
        raise RunError(f"{path} is damaged (not a JSON object); delete it or restore it")
    return data


@contextmanager
def writing(path: str | os.PathLike) -> Iterator[None]:
    """Turn an ``OSError`` of a write (a full disk, a folder gone read-only) into a one-line
    :class:`RunError` that names the file: Python's "[Errno 28] No space left on device" of a
    ``write()`` names none."""
    try:
        yield
    except OSError as exc:
        raise RunError(f"cannot write {path}: {exc.strerror or exc}; free some space (or fix "
                       "the folder) and run the same command again: training resumes after "
                       "the last finished epoch") from exc


def write_json(path: str | os.PathLike, data: dict[str, Any]) -> None:
    """Write JSON atomically (a temporary file, then rename): a kill never leaves half a file."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    with writing(path):
        tmp.write_text(json.dumps(data, indent=2))
        os.replace(tmp, path)


# ------------------------------------------------------------------ lock


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def check_unlocked(run_dir: str | os.PathLike) -> int | None:
    """Raise the one-line :class:`RunError` when another live process owns ``run_dir``
    (the CLI asks before TensorFlow starts); returns the PID of a stale lock (its process no
    longer runs on this host; -1 for an empty or damaged lock file, which a kill during its
    write leaves: a lock is written whole, see :func:`lock`), else None."""
    path = Path(run_dir) / LOCK
    try:
        owner = json.loads(path.read_text())
        pid, host = int(owner["pid"]), str(owner["host"])
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError):  # empty, damaged or foreign
        return -1
    if host == socket.gethostname() and (pid <= 0 or not _alive(pid)):
        return pid
    since = time.strftime("%Y-%m-%d %H:%M", time.localtime(owner.get("since", 0)))
    raise RunError(
        f"{run_dir} is being trained by PID {pid} on {host} (since {since}); wait for it to "
        f"finish, or, if it is not running, delete {path}")


def _create_lock(path: Path, me: dict[str, Any]) -> bool:
    """Create the lock file with its content in one step (a hard link of a finished
    temporary file: no other process ever reads it half-written); False if it exists. Where
    hard links are not supported, an exclusive create and a write."""
    tmp = path.with_name(f"{LOCK}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(me))
    try:
        os.link(tmp, path)
        return True
    except FileExistsError:
        return False
    except OSError:  # no hard links on this file system
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            return False
        with os.fdopen(fd, "w") as f:
            json.dump(me, f)
        return True
    finally:
        tmp.unlink(missing_ok=True)


def _take_over(run_dir: str | os.PathLike, path: Path, me: dict[str, Any]) -> bool:
    """Replace a stale lock, one process at a time: under a guard file, check again that the
    lock is stale (raising if its owner now lives), remove it and create ours. False when
    another process holds the guard (try again)."""
    guard = path.with_name(LOCK + ".takeover")
    try:
        os.close(os.open(guard, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
    except FileExistsError:
        try:
            if time.time() - guard.stat().st_mtime > 30:  # its owner died while taking over
                guard.unlink(missing_ok=True)
        except FileNotFoundError:
            pass
        time.sleep(0.05)
        return False
    try:
        pid = check_unlocked(run_dir)  # raises if the lock is now a live process's
        if pid is not None:
            warnings.warn(f"{path}: stale lock of PID {pid} (no longer running); taking "
                          "over", stacklevel=4)
            path.unlink(missing_ok=True)
        return _create_lock(path, me)
    finally:
        guard.unlink(missing_ok=True)


@contextmanager
def lock(run_dir: str | os.PathLike) -> Iterator[Path]:
    """Own ``run_dir`` while training: a second ``train`` on the same folder is refused with a
    one-line :class:`RunError` naming the owner's PID and host. A lock left by a process that
    no longer runs on this host (or an empty or damaged lock file) is stale: it is taken over
    with a warning, by one process only when several try at once."""
    path = Path(run_dir) / LOCK
    me = {"pid": os.getpid(), "host": socket.gethostname(), "since": time.time()}
    deadline = time.monotonic() + 60
    while not _create_lock(path, me):
        check_unlocked(run_dir)  # a live owner: RunError
        if _take_over(run_dir, path, me):
            break
        if time.monotonic() > deadline:
            raise RunError(f"{path}: could not take over a stale lock within a minute; delete "
                           "it and try again")
    try:
        yield path
    finally:
        try:
            if json.loads(path.read_text()).get("pid") == me["pid"]:
                path.unlink()
        except (OSError, json.JSONDecodeError):
            pass


# ------------------------------------------------------------------ settings and status


def saved_config(run_dir: str | os.PathLike) -> dict[str, Any] | None:
    """The settings a run was trained with, or None when the folder holds no run."""
    path = Path(run_dir) / CONFIG
    return read_json(path) if path.is_file() else None


def run_config(run: str | os.PathLike | None, default: Any) -> Any:
    """The :class:`~colorgan_utils.config.Config` a run was trained with (its ``config.json``),
    so that evaluation splits the data exactly as training did; ``default`` when there is no
    such file. The data folder and the preset name stay those of ``default``."""
    if run is None:
        return default
    run_dir = Path(run) if Path(run).is_dir() else Path(run).parent
    saved = saved_config(run_dir)
    if saved is None:
        return default
    known = {k: v for k, v in saved.items() if k in Config.__dataclass_fields__}
    known.update(data_dir=default.data_dir, preset=default.preset)
    return Config(**known)


def evaluation_config(run: str | os.PathLike | None, generator: Any, default: Any) -> Any:
    """:func:`run_config` at the generator's own size: the settings ``evaluate`` and notebook
    05 colorize and split with."""
    from colorgan_utils.models import training_size

    return run_config(run, default).replace(image_size=training_size(generator))


# history.csv columns written under older names
RENAMED = {"d_fake_acc": "d_colorized_acc", "val_d_fake_acc": "val_d_colorized_acc"}


def read_history(path: str | os.PathLike) -> list[dict[str, Any]]:
    """Rows of a run's ``history.csv`` as dicts of floats (``epoch`` as int), in epoch order;
    ``[]`` when there is none. A file that is not a history (no ``epoch`` column) or holds a
    value that is not a number raises :class:`RunError` naming it and the line; a last row
    cut short (a kill during a copy) is left out with a warning."""
    import csv

    path = Path(path)
    if not path.is_file():
        return []
    rows = []
    try:
        with path.open(newline="") as f:
            reader = csv.DictReader(f)
            if reader.fieldnames is None:
                return []
            if "epoch" not in reader.fieldnames:
                raise RunError(f"{path} is not a ColorGAN history (its first line has no "
                               f"'epoch' column: {','.join(reader.fieldnames)[:80]}); move it "
                               "away or restore it")
            for r in reader:
                if None in r.values() or None in r:  # fewer or more fields than the header
                    warnings.warn(f"{path}: line {reader.line_num} is cut short or damaged; "
                                  "left out", stacklevel=2)
                    continue
                try:
                    row: dict[str, Any] = {RENAMED.get(k, k): float(v) for k, v in r.items()
                                           if v != ""}
                    row["epoch"] = int(row["epoch"])
                except (ValueError, KeyError) as exc:
                    raise RunError(f"{path}, line {reader.line_num}: not a number ({exc}); "
                                   "restore the file or move it away") from None
                rows.append(row)
    except UnicodeDecodeError as exc:
        raise RunError(f"{path} is not a text file ({exc}); move it away") from None
    return sorted(rows, key=lambda r: r["epoch"])


def write_history(path: str | os.PathLike, rows: list[dict[str, Any]]) -> None:
    """Write a run's ``history.csv`` whole and atomically (what :func:`read_history` reads):
    first column ``epoch``, then every other key of the rows, sorted."""
    import csv

    path = Path(path)
    keys = ["epoch"] + sorted({k for r in rows for k in r} - {"epoch"})
    tmp = path.with_suffix(".csv.tmp")
    with writing(path):
        with tmp.open("w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=keys)
            w.writeheader()
            w.writerows(rows)
        os.replace(tmp, path)


def run_status(run_dir: str | os.PathLike) -> dict[str, Any]:
    """``{"epochs_done", "epochs", "finished"}`` of a run folder (zeros when there is none)."""
    state = Path(run_dir) / STATE
    if state.is_file():
        return read_json(state)
    return {"epochs_done": len(read_history(Path(run_dir) / HISTORY)), "epochs": 0,
            "finished": False}


# ------------------------------------------------------------------ before a run starts or resumes

# settings that must match to resume a run (the rest, e.g. epochs, may change)
MODEL_KEYS = ("image_size", "generator_width", "generator_max_mult", "discriminator_width",
              "l1_lambda", "warmup_epochs", "batch_size", "max_images", "val_fraction",
              "test_fraction", "ema_momentum", "lr_schedule", "encoder", "encoder_alpha",
              "encoder_frozen_epochs", "encoder_lr_mult", "discriminator_norm", "gan_loss",
              "mismatch_weight", "l1_lambda_end", "keep", "hints", "hint_stop",
              "hint_max_points", "hint_max_patch", "hint_gain",
              "hint_spread")
# settings added after runs had been saved: a run whose config.json lacks one was trained
# without it, and is resumed the way it was trained (Config's default), not refused
ADDED_KEYS = ("ema_momentum", "lr_schedule", "encoder", "encoder_alpha",
              "encoder_frozen_epochs", "encoder_lr_mult", "discriminator_norm", "gan_loss",
              "mismatch_weight", "l1_lambda_end", "keep", "hints", "hint_stop",
              "hint_max_points", "hint_max_patch", "hint_gain",
              "hint_spread")
# settings that have left: a run trained with another value than this one cannot go on here
# (its generator still colorizes and evaluates; colour as classes is notebook 06's)
REMOVED_KEYS = {"objective": "l1", "adversarial_lambda": 1.0, "chroma_lambda": 0.0}


def backup_epochs(backup_dir: str | os.PathLike) -> int:
    """Epochs a run's backup folder holds (0 when there is none; a damaged metadata file: the
    one before it)."""
    meta = Path(backup_dir) / BACKUP_META
    for path in (meta, meta.with_name(meta.name + ".bkp")):
        try:
            return int(json.loads(path.read_text()).get("epoch", 0))
        except (OSError, ValueError, AttributeError):  # JSONDecodeError is a ValueError
            continue
    return 0


class Prepared(NamedTuple):
    """What :func:`prepare` found: the settings to train with, the history so far, whether
    the run is already finished (then nothing else is filled in), the photos and their
    fingerprint (``split.json``)."""

    cfg: Config
    history: list[dict[str, Any]]
    finished: bool
    splits: dict[str, list] | None = None
    split: dict[str, Any] | None = None


def prepare(run_dir: str | os.PathLike, cfg: Config, epochs: int,
            splits: dict[str, list] | None = None) -> Prepared:
    """Every check before :func:`~colorgan_utils.training.train` starts or resumes a run in
    ``run_dir``, in one place: settings saved before some existed are put back as trained;
    settings that differ from the run's, or have left, are refused by name; a finished run is
    left alone (``finished``); a run whose backup is gone is refused; temporary files of a
    killed save are removed; the photos (``splits``, else ``cfg.data_dir`` scanned) must be the
    ones the run trained on. Raises :class:`TrainingError`."""
    run_dir = Path(run_dir)
    cfg = _as_trained(run_dir, cfg)
    _check_config(run_dir, cfg)
    status = run_status(run_dir)
    history = read_history(run_dir / HISTORY)
    if status.get("finished") and status.get("epochs_done", 0) >= epochs:
        print(f"{run_dir} already finished {status['epochs_done']} epochs; nothing to do "
              "(ask for more epochs to continue it).")
        return Prepared(cfg, history, True)
    _check_resumable(run_dir, history)
    _remove_partial_files(run_dir)
    if splits is None:
        from colorgan_utils.data import load_splits

        _, splits = load_splits(cfg)
    if not splits["train"]:
        raise TrainingError("no training photos: check the data folder with "
                            "`python -m colorgan_utils scan DIR`")
    split = split_fingerprint(splits, cfg.data_dir)
    _check_same_photos(run_dir, split, resuming=bool(history))
    return Prepared(cfg, history, False, splits, split)


def _as_trained(run_dir: Path, cfg: Config) -> Config:
    """``cfg`` with the settings a run saved before they existed (:data:`ADDED_KEYS`) put back
    to how it was trained, said in one line."""
    old = saved_config(run_dir)
    if old is None:
        return cfg
    then = {k: getattr(Config(), k) for k in ADDED_KEYS
            if k not in old and getattr(cfg, k) != getattr(Config(), k)}
    if then:
        print(f"{run_dir} was trained before {', '.join(then)} existed: it goes on as it was "
              f"trained ({', '.join(f'{k}={v!r}' for k, v in then.items())})")
    return cfg.replace(**then)


def _check_config(run_dir: Path, cfg: Config) -> None:
    old = saved_config(run_dir)
    if old is None:
        return
    gone = {k: old[k] for k, today in REMOVED_KEYS.items() if old.get(k, today) != today}
    if gone:
        raise TrainingError(
            f"{run_dir} was trained with {', '.join(f'{k}={v!r}' for k, v in gone.items())}, "
            "which training no longer offers (colour as classes lives in notebook 06), so it "
            "cannot resume; its generator still works with evaluate and colorize. Train anew "
            "in a new --out folder.")
    diff = {k: (old.get(k, getattr(Config(), k)), getattr(cfg, k)) for k in MODEL_KEYS
            if old.get(k, getattr(Config(), k)) != getattr(cfg, k)}
    if diff:
        what = ", ".join(f"{k}: run has {a!r}, now {b!r}" for k, (a, b) in diff.items())
        raise TrainingError(
            f"{run_dir} holds a run with other settings ({what}). Use a new output folder, or "
            "the run's own settings, to resume it."
        )


def _check_resumable(run_dir: Path, history: list[dict[str, Any]]) -> None:
    """Refuse to go on when the backup that resuming needs is gone but the run has epochs:
    Keras would otherwise restart from random weights without a word."""
    backup = run_dir / BACKUP
    weights, meta = backup / BACKUP_WEIGHTS, backup / BACKUP_META
    done = backup_epochs(backup)  # epochs the backup holds
    # an interruption leaves at most one epoch written but not yet backed up
    prev = weights.with_name(weights.name + ".bkp")  # the backup before, also usable
    lost = ((meta.is_file() and not weights.is_file() and not prev.is_file())
            or len(history) > done + 1)
    if lost:
        raise TrainingError(
            f"{run_dir} has {len(history)} trained epoch(s) in {HISTORY} but its backup "
            f"weights ({weights}) are gone, so it cannot resume. Start over in a new folder "
            f"(--out), or delete {run_dir} to retrain it from scratch; its "
            f"{model_file(run_dir, 'generator', 'last').name} is still usable for "
            "evaluate/colorize.")


def split_fingerprint(splits: dict[str, list], data_dir: Any) -> dict[str, Any]:
    """What ``split.json`` records: the data folder, split sizes, and a hash of the train and
    val photos' names (breed folder / file), so a resumed run can tell whether it still
    trains on the same photos."""
    import hashlib

    names = sorted(f"{part}:{r.breed}/{Path(r.path).name}" for part in ("train", "val")
                   for r in splits.get(part, []))
    return {"data_dir": str(data_dir) if data_dir else None,
            **{part: len(splits.get(part, [])) for part in ("train", "val", "test")},
            "fingerprint": hashlib.sha1("\n".join(names).encode()).hexdigest()}


def _check_same_photos(run_dir: Path, split: dict[str, Any], resuming: bool) -> None:
    old_path = run_dir / SPLIT
    if not (resuming and old_path.is_file()):
        return
    old = read_json(old_path)
    if old.get("fingerprint") != split["fingerprint"]:
        raise TrainingError(
            f"{run_dir} was trained on other photos ({old.get('train')} train / "
            f"{old.get('val')} val from {old.get('data_dir')}); now {split['train']} / "
            f"{split['val']} from {split['data_dir']}. Resume it with its own data folder, "
            "or train the new data into a new --out folder.")
    if old.get("data_dir") != split["data_dir"]:
        print(f"The data folder moved ({old.get('data_dir')} -> {split['data_dir']}) but "
              "holds the same photos: resuming.")


def _remove_partial_files(run_dir: Path) -> None:
    """Temporary files of a save that was killed are not results: remove them."""
    for tmp in list(run_dir.glob("*.tmp.keras")) + list(run_dir.glob(".*.tmp")):
        tmp.unlink(missing_ok=True)


# ------------------------------------------------------------------ compact files


def save_compact(generator: Any, path: str | os.PathLike) -> None:
    """Save a generator as ``.npz``: its architecture (JSON) and float16 weights, half the
    size of a ``.keras`` file (how the repository ships its pretrained generator)."""
    import numpy as np

    weights = {f"w{i:03d}": w.astype(np.float16) for i, w in enumerate(generator.get_weights())}
    np.savez_compressed(path, config=np.array(json.dumps(generator.get_config())), **weights)


def load_compact(path: str | os.PathLike) -> Any:
    """Load a generator written by :func:`save_compact` (weights back in float32; layers that
    were trained under mixed precision compute in the current global policy, see
    :func:`colorgan_utils.models.with_current_policy`)."""
    import keras
    import numpy as np

    from colorgan_utils.models import current_policy

    try:
        with np.load(path) as f:
            config = json.loads(str(f["config"]))
            weights = [f[k].astype(np.float32) for k in sorted(f.files) if k.startswith("w")]
    except (OSError, KeyError, ValueError) as exc:
        raise ValueError(f"{path} is not a compact ColorGAN generator file: {exc}") from exc
    model = keras.Model.from_config(current_policy(config)[0])
    model.set_weights(weights)
    return model


# ------------------------------------------------------------------ loading models


def _load_keras(path: Path) -> Any:
    import keras

    from colorgan_utils import models

    return models.with_current_policy(keras.models.load_model(path))


SHIPPED = {"shipped:l1": PRETRAINED_L1, "shipped:gan": PRETRAINED,
           "shipped:hints": PRETRAINED_HINTS}


def generator_path(name: str | os.PathLike) -> Path:
    """A generator file by path, or one shipped with the package by its short name
    (``shipped:l1``, the L1-only generator; ``shipped:gan``, the L1 + GAN one;
    ``shipped:hints``, the hinted one)."""
    return SHIPPED.get(str(name), Path(name).expanduser())


def _names_annealed_mean(path: Path) -> bool:
    """Whether a generator file's architecture uses colour as classes' ``AnnealedMean`` layer
    (only then is :mod:`colorgan_utils.colour_classes` imported to load it). An unreadable
    file says no here; loading it reports the damage."""
    import zipfile

    try:
        if path.suffix == ".npz":
            import numpy as np

            with np.load(path) as f:
                text = str(f["config"])
        else:
            with zipfile.ZipFile(path) as z:
                text = z.read("config.json").decode("utf-8", "replace")
    except Exception:  # noqa: BLE001  (a damaged file: load_generator names it)
        return False
    return "AnnealedMean" in text


def load_generator(path: str | os.PathLike) -> Any:
    """A generator from a ``.keras`` file or a compact ``.npz`` file; anything else (e.g. a
    discriminator file, a damaged file) raises :class:`RunError` naming the file."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise RunError(f"{path}: no such generator file")
    if _names_annealed_mean(path):  # colour as classes (opt-in): register its decoding layer
        from colorgan_utils import colour_classes  # noqa: F401
    try:
        model = load_compact(path) if path.suffix == ".npz" else _load_keras(path)
    except Exception as exc:  # keras raises many kinds on a damaged zip
        raise RunError(f"{path} is not a readable generator file ({type(exc).__name__}: "
                       f"{exc})") from exc
    shape = model.input_shape
    if isinstance(shape, list) or shape[-1] not in (1, 4) or model.output_shape[-1] != 2:
        raise RunError(f"{path} is not a generator (it maps {shape} to {model.output_shape}; "
                       "a generator maps L (1 channel, or 4 with hints) to ab (2 channels))")
    return model


def load_run(run: str | os.PathLike | None, verbose: bool = True) -> tuple[Any, Any]:
    """``(generator, discriminator or None)`` of a run folder (best, else last: a damaged
    best file is reported and the last one tried), of a generator file, or the pretrained
    generator and its discriminator shipped with the package when ``run`` is None. Each model
    loaded keeps the path it came from as ``source_file``, and ``verbose`` says which files
    were loaded."""
    generator, discriminator = _load_run(run, verbose)
    if verbose:
        print(f"generator: {generator.source_file}" + (
            f"; discriminator: {discriminator.source_file}" if discriminator is not None
            else "; no discriminator"))
    return generator, discriminator


def _tagged(model: Any, path: Path) -> Any:
    model.source_file = str(path)
    return model


def _load_run(run: str | os.PathLike | None, verbose: bool) -> tuple[Any, Any]:
    if run is None:
        if not PRETRAINED.is_file():
            raise RunError(f"no run given and no pretrained generator at {PRETRAINED}")

        discriminator = None
        if PRETRAINED_DISCRIMINATOR.is_file():
            discriminator = _tagged(load_compact(PRETRAINED_DISCRIMINATOR),
                                    PRETRAINED_DISCRIMINATOR)
        return _tagged(load_generator(PRETRAINED), PRETRAINED), discriminator
    p = Path(run).expanduser()
    if p.is_file():
        return _tagged(load_generator(p), p), None
    if not p.is_dir():
        raise RunError(f"{p}: no such run folder or generator file")
    problems = []
    for which in ("best", "last"):
        g_path = model_file(p, "generator", which)
        if not g_path.is_file():
            problems.append(f"{g_path.name} missing")
            continue
        try:
            generator = load_generator(g_path)
        except RunError as exc:
            problems.append(str(exc))
            if verbose:
                print(f"warning: {exc}; trying the next one")
            continue
        d_path = model_file(p, "discriminator", which)
        discriminator = None
        if d_path.is_file():
            try:
                discriminator = _tagged(_load_keras(d_path), d_path)
            except Exception as exc:
                if verbose:
                    print(f"warning: {d_path} is not readable ({exc}); no discriminator")
        return _tagged(generator, g_path), discriminator
    raise RunError(f"{p} holds no usable generator ({'; '.join(problems)}): train it first "
                   "(python -m colorgan_utils train --out DIR)")
