"""One function that trains a ColorGAN run into a folder, resumably: :func:`train`.

Taught in notebook 04; ``python -m colorgan_utils train`` calls it. A run folder holds:

``config.json`` (settings), ``history.csv`` (one row per epoch), ``samples/epoch_NNN.png``,
``generator_best.keras`` / ``generator_last.keras`` (+ discriminators), ``backup/`` (weights,
optimizer state and epoch for resuming), ``logs/`` (TensorBoard), ``state.json``.
Running :func:`train` again on the same folder continues after the last completed epoch.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import keras
import tensorflow as tf

from colorgan_utils import env
from colorgan_utils.callbacks import (
    AdversarialSwitch, GeneratorCheckpoint, HistoryCSV, ResumableBackup, SampleGrid,
    StopOnNonFinite, Throughput, TimeBudget, TrainingError,
)
from colorgan_utils.config import Config
from colorgan_utils.data import load_splits, make_dataset, steps_for
from colorgan_utils.gan import ColorGAN
from colorgan_utils.models import build_models

# settings that must match to resume a run (the rest, e.g. epochs, may change)
MODEL_KEYS = ("image_size", "generator_width", "generator_max_mult", "discriminator_width",
              "l1_lambda", "warmup_epochs", "batch_size", "max_images", "val_fraction",
              "test_fraction", "objective", "ce_lambda", "prior_mix", "temperature",
              "adversarial_lambda")
PRIOR_FILE = "ab_prior.npz"


@dataclass
class RunResult:
    """What :func:`train` did: the run folder, the history rows, and whether it was complete."""

    run_dir: Path
    history: list[dict[str, Any]] = field(default_factory=list)
    epochs: int = 0
    already_finished: bool = False
    gan: Any = None  # the trained ColorGAN (None when nothing was trained)

    @property
    def epochs_done(self) -> int:
        return len(self.history)


def _writable(run_dir: Path) -> None:
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
        probe = run_dir / ".write-test"
        probe.write_text("ok")
        probe.unlink()
    except OSError as exc:
        raise TrainingError(f"cannot write to the run folder {run_dir}: {exc}") from exc


def _check_config(run_dir: Path, cfg: Config) -> None:
    saved = run_dir / "config.json"
    if not saved.is_file():
        return
    try:
        old = json.loads(saved.read_text())
    except json.JSONDecodeError as exc:
        raise TrainingError(f"{saved} is not valid JSON ({exc}); fix or delete it") from exc
    diff = {k: (old.get(k), getattr(cfg, k)) for k in MODEL_KEYS if old.get(k) != getattr(cfg, k)}
    if diff:
        what = ", ".join(f"{k}: run has {a!r}, now {b!r}" for k, (a, b) in diff.items())
        raise TrainingError(
            f"{run_dir} holds a run with other settings ({what}). Use a new output folder, or "
            "the run's own settings, to resume it."
        )


def training_prior(records: list, cfg: Config, run_dir: Path | None = None,
                   max_photos: int = 2000) -> dict[str, Any]:
    """The colour prior of the training photos (``centres``, ``prior``, ``weights``; see
    :mod:`ab_bins`), at the 1/4 resolution the classification head predicts. Saved as
    ``ab_prior.npz`` in ``run_dir`` and read back from there on resume."""
    import numpy as np

    from colorgan_utils import ab_bins

    path = run_dir / PRIOR_FILE if run_dir is not None else None
    if path is not None and path.is_file():
        with np.load(path) as f:
            return {k: f[k] for k in f.files}
    centres = ab_bins.in_gamut_bins()
    picks = records[:: max(1, len(records) // max_photos)]
    ds = make_dataset(picks, cfg, training=False, cache=False)
    pooled = (tf.nn.avg_pool2d(ab, 4, 4, "VALID") for _, ab in ds)
    prior = ab_bins.colour_prior(pooled, centres)
    weights = ab_bins.rebalancing_weights(prior, cfg.prior_mix)
    out = {"centres": centres, "prior": prior, "weights": weights,
           "photos": np.array(len(picks))}
    if path is not None:
        tmp = path.with_name(path.stem + ".tmp.npz")
        np.savez(tmp, **out)
        os.replace(tmp, path)
    return out


def run_status(run_dir: str | os.PathLike) -> dict[str, Any]:
    """``{"epochs_done", "epochs", "finished"}`` of a run folder (zeros when there is none)."""
    state = Path(run_dir) / "state.json"
    if state.is_file():
        return json.loads(state.read_text())
    return {"epochs_done": len(HistoryCSV.read(Path(run_dir) / "history.csv")), "epochs": 0,
            "finished": False}


def set_precision(cfg: Config) -> str:
    """``mixed_float16`` when the config asks for it and a GPU is there, else ``float32``."""
    policy = "mixed_float16" if cfg.mixed_precision and env.gpu_info() else "float32"
    keras.mixed_precision.set_global_policy(policy)
    return policy


def train(cfg: Config, run_dir: str | os.PathLike, data_dir: str | os.PathLike | None = None,
          epochs: int | None = None, strategy: Any = None, verbose: int | str = "auto",
          splits: dict | None = None, extra_callbacks: list | None = None) -> RunResult:
    """Train (or resume) a run in ``run_dir``; returns its history.

    A finished run is left alone (``already_finished``); asking for more ``epochs`` than it
    has continues it. A non-finite loss raises :class:`TrainingError` naming the epoch and the
    last good checkpoint; so does a checkpoint that does not fit the model.
    """
    run_dir = Path(run_dir).expanduser()
    epochs = int(epochs or cfg.epochs)
    cfg = cfg.replace(epochs=epochs)
    _writable(run_dir)
    _check_config(run_dir, cfg)
    status = run_status(run_dir)
    history = HistoryCSV.read(run_dir / "history.csv")
    if status.get("finished") and status.get("epochs_done", 0) >= epochs:
        print(f"{run_dir} already finished {status['epochs_done']} epochs; nothing to do "
              "(ask for more epochs to continue it).")
        return RunResult(run_dir, history, epochs, already_finished=True)
    (run_dir / "config.json").write_text(cfg.to_json())

    if splits is None:
        _, splits = load_splits(cfg, data_dir)
    if not splits["train"]:
        raise TrainingError("no training photos: check the data folder with "
                            "`python -m colorgan_utils scan DIR`")
    val = splits["val"] or splits["train"][: cfg.batch_size]
    train_ds = make_dataset(splits["train"], cfg, training=True, repeat=True)
    steps = cfg.steps_per_epoch or steps_for(len(splits["train"]), cfg.batch_size, True)
    val_ds = make_dataset(val, cfg, training=False, repeat=True)
    picks = val[:: max(1, len(val) // 8)][:8]  # spread over the breeds (val is breed-sorted)
    sample_l, sample_ab = next(iter(make_dataset(picks, cfg, training=False, batch_size=8,
                                                 cache=False)))

    weights = None
    if cfg.objective == "classify":
        weights = training_prior(splits["train"], cfg, run_dir)["weights"]
    policy = set_precision(cfg)
    strategy = strategy or env.get_strategy()
    with strategy.scope():
        generator, discriminator = build_models(cfg)
        gan = ColorGAN(generator, discriminator, cfg.l1_lambda, cfg.warmup_epochs,
                       objective=cfg.objective, ce_lambda=cfg.ce_lambda,
                       class_weights=weights, adversarial_lambda=cfg.adversarial_lambda)
        gan.compile(
            g_optimizer=keras.optimizers.Adam(cfg.learning_rate, beta_1=cfg.beta_1),
            d_optimizer=keras.optimizers.Adam(cfg.learning_rate, beta_1=cfg.beta_1),
            jit_compile=cfg.jit_compile,
        )
    stop = StopOnNonFinite(run_dir)
    callbacks = [
        stop,
        AdversarialSwitch(),
        Throughput(cfg.batch_size),
        ResumableBackup(run_dir / "backup"),
        HistoryCSV(run_dir / "history.csv"),
        GeneratorCheckpoint(run_dir, "val_g_ce" if cfg.objective == "classify" else "val_g_l1"),
        SampleGrid(run_dir, sample_l, sample_ab),
        keras.callbacks.TensorBoard(str(run_dir / "logs"), write_graph=False),
        *(extra_callbacks or []),
    ]
    if cfg.max_minutes:
        callbacks.insert(1, TimeBudget(cfg.max_minutes))
    if verbose:
        print(f"Training {run_dir}: {len(splits['train'])} train / {len(val)} val photos, "
              f"{cfg.image_size} px, batch {cfg.batch_size} on "
              f"{strategy.num_replicas_in_sync} replica(s), {policy}, XLA {cfg.jit_compile}")
    try:
        gan.fit(train_ds, validation_data=val_ds, epochs=epochs, callbacks=callbacks,
                verbose=verbose, steps_per_epoch=steps, shuffle=False,
                validation_steps=steps_for(len(val), cfg.batch_size, False))
    finally:
        keras.mixed_precision.set_global_policy("float32")
    history = HistoryCSV.read(run_dir / "history.csv")
    state = {"epochs_done": len(history), "epochs": epochs,
             "finished": not gan.diverged and len(history) >= epochs}
    (run_dir / "state.json").write_text(json.dumps(state))
    if gan.diverged:
        raise TrainingError(gan.diverged)
    return RunResult(run_dir, history, epochs, gan=gan)


def gray_baseline_l1(ds: tf.data.Dataset) -> float:
    """Mean |ab| over a dataset of ``(L, ab)`` batches: the L1 of predicting gray (ab = 0)."""
    total, count = 0.0, 0
    for _, ab in ds:
        total += float(tf.reduce_sum(tf.abs(ab)))
        count += int(tf.size(ab))
    return total / max(count, 1)
