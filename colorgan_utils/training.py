"""One function that trains a ColorGAN run into a folder, resumably: :func:`train`.

Taught in notebook 04; ``python -m colorgan_utils train`` calls it. What a run folder holds is
described (and its file names owned) by :mod:`colorgan_utils.runs`. Running :func:`train`
again on the same folder continues after the last completed epoch.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import keras
import tensorflow as tf

from colorgan_utils import env
from colorgan_utils.callbacks import (
    AdversarialSwitch, ApplyLearningRate, AveragedGenerator, BackupCommit, EncoderSchedule,
    GeneratorCheckpoint, HistoryCSV, ResumableBackup, SampleGrid, StopOnNonFinite, Throughput,
    TimeBudget, TrainingError,
)
from colorgan_utils.config import Config
from colorgan_utils.data import make_dataset, steps_for
from colorgan_utils.hints import sampling_of
from colorgan_utils.encoder import resolve_weights
from colorgan_utils.gan import ColorGAN, L1Colour
from colorgan_utils.models import build_models
from colorgan_utils import runs

LR_SCHEDULES = ("constant", "cosine")


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
        """The last epoch trained (rows of a damaged history may be missing)."""
        return max(len(self.history), self.history[-1]["epoch"] if self.history else 0)


def _writable(run_dir: Path) -> None:
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
        probe = run_dir / ".write-test"
        probe.write_text("ok")
        probe.unlink()
    except OSError as exc:
        raise TrainingError(f"cannot write to the run folder {run_dir}: {exc}") from exc


def set_precision(cfg: Config) -> str:
    """``mixed_float16`` when the config asks for it and a GPU is there, else ``float32``."""
    policy = "mixed_float16" if cfg.mixed_precision and env.gpu_info() else "float32"
    keras.mixed_precision.set_global_policy(policy)
    return policy


def train(cfg: Config, run_dir: str | os.PathLike, epochs: int | None = None,
          strategy: Any = None, verbose: int | str = "auto", splits: dict | None = None,
          extra_callbacks: list | None = None,
          build_gan: Callable[[Config], ColorGAN] | None = None) -> RunResult:
    """Train (or resume) a run in ``run_dir`` on the photos in ``cfg.data_dir`` (set it with
    :func:`colorgan_utils.data.locate`), or on ``splits`` when given; returns its history.

    A finished run is left alone (``already_finished``); asking for more ``epochs`` than it
    has continues it. A second ``train`` on the same folder is refused while this one runs
    (``train.lock``). Nothing is written to a new folder before the first epoch can start. A
    non-finite loss raises :class:`TrainingError` naming the epoch and the last good
    checkpoint; so does a checkpoint that does not fit the model.

    ``build_gan(cfg)`` builds the (uncompiled) GAN to train, its generator and discriminator
    included (default :func:`build_gan`, the course's ColorGAN); colour as classes passes
    :func:`colorgan_utils.colour_classes.gan_builder`'s. It is called inside the distribution
    strategy's scope with the run's settings.
    """
    run_dir = Path(run_dir).expanduser()
    epochs = int(cfg.epochs if epochs is None else epochs)
    if epochs < 1:
        raise TrainingError(f"epochs={epochs}: train at least 1 epoch")
    if cfg.batch_size < 1:
        raise TrainingError(f"batch_size={cfg.batch_size}: use 1 or more")
    if not 0.0 <= cfg.ema_momentum < 1.0:
        raise TrainingError(f"ema_momentum={cfg.ema_momentum}: use 0 (off) or a value in "
                            "(0, 1), e.g. 0.999")
    learning_rate(cfg, 1)  # an unknown lr_schedule is refused before anything is written
    cfg = cfg.replace(epochs=epochs)
    _writable(run_dir)
    with runs.lock(run_dir):
        return _train_locked(cfg, run_dir, epochs, strategy, verbose, splits,
                             extra_callbacks, build_gan or default_gan)


def default_gan(cfg: Config) -> ColorGAN:
    """The course's GAN for these settings: :func:`~colorgan_utils.models.build_models`'
    generator and discriminator, an L1 colour term, the warm-up, mismatched pairs and the
    adversarial loss the settings name (notebook 04)."""
    generator, discriminator = build_models(cfg)
    return ColorGAN(generator, discriminator, L1Colour(cfg.l1_lambda), cfg.warmup_epochs,
                    mismatch_weight=cfg.mismatch_weight, gan_loss=cfg.gan_loss)


def _train_locked(cfg: Config, run_dir: Path, epochs: int, strategy: Any,
                  verbose: Any, splits: dict | None, extra_callbacks: list | None,
                  build_gan: Callable[[Config], ColorGAN]) -> RunResult:
    ready = runs.prepare(run_dir, cfg, epochs, splits)
    if ready.finished:
        return RunResult(run_dir, ready.history, epochs, already_finished=True)
    cfg, history, splits, split = ready.cfg, ready.history, ready.splits, ready.split
    val = splits["val"] or splits["train"][: cfg.batch_size]
    if not splits["val"]:
        print(f"warning: no validation photos; the 'best' generator is chosen on {len(val)} "
              "training photos (use more photos for a real validation split)")
    hints = sampling_of(cfg)  # hinted generator: hints simulated from each photo's colours
    train_ds = make_dataset(splits["train"], cfg, training=True, repeat=True, hints=hints)
    steps = cfg.steps_per_epoch or steps_for(len(splits["train"]), cfg.batch_size, True)
    val_ds = make_dataset(val, cfg, training=False, repeat=True, hints=hints)
    picks = val[:: max(1, len(val) // 8)][:8]  # spread over the breeds (val is breed-sorted)
    sample_l, sample_ab = next(iter(make_dataset(picks, cfg, training=False, batch_size=8,
                                                 cache=False)))

    # a new run says which encoder weights it starts from (smoke mode: random where the file
    # is not cached, nothing is downloaded); a resumed one needs no file: the backup has them
    start = (None if history or not cfg.init_generator
             else runs.load_generator(runs.generator_path(cfg.init_generator)))
    build = (resolve_weights(cfg) if not history and start is None
             else cfg.replace(encoder_weights=None))
    policy = set_precision(cfg)
    strategy = strategy or env.get_strategy()
    with strategy.scope():
        gan = build_gan(build)
        if not isinstance(gan, ColorGAN):
            raise TrainingError(f"build_gan returned a {type(gan).__name__}, not a ColorGAN")
        if start is not None:
            _start_from(gan.generator, start, cfg.init_generator)
        gan.compile(**optimizers(cfg, epochs * steps), jit_compile=cfg.jit_compile)
    stop = StopOnNonFinite(run_dir)
    backup = ResumableBackup(run_dir / runs.BACKUP)
    history_csv = HistoryCSV(run_dir / runs.HISTORY)
    callbacks = [
        stop,
        backup,  # restores first; saves last (BackupCommit)
        # after the restore (a schedule is rebuilt from the settings on every start anyway)
        *([ApplyLearningRate(cfg.learning_rate)] if cfg.lr_schedule == "constant" else []),
        AdversarialSwitch((cfg.l1_lambda_end or cfg.l1_lambda) / cfg.l1_lambda),
        *([EncoderSchedule(cfg.encoder_frozen_epochs)] if cfg.encoder == "mobilenetv2" else []),
        Throughput(cfg.batch_size),
        history_csv,
        GeneratorCheckpoint(run_dir, None if cfg.keep == "last" else "val_g_l1"),
        SampleGrid(run_dir, sample_l, sample_ab),
        AveragedGenerator(),  # validation to the grid: the average; then back to its own
        keras.callbacks.TensorBoard(str(run_dir / runs.LOGS), write_graph=False),
        *(extra_callbacks or []),
    ]
    if cfg.max_minutes:
        callbacks.insert(1, TimeBudget(cfg.max_minutes))
    callbacks.append(BackupCommit(backup, history_csv))
    if verbose:
        print(f"Training {run_dir}: {len(splits['train'])} train / {len(val)} val photos, "
              f"{cfg.image_size} px, batch {cfg.batch_size}, on "
              f"{strategy.num_replicas_in_sync} replica(s), {policy}, XLA {cfg.jit_compile}")
    runs.write_json(run_dir / runs.CONFIG, cfg.to_dict())  # all checks passed: a real run
    runs.write_json(run_dir / runs.SPLIT, split)
    try:
        gan.fit(train_ds, validation_data=val_ds, epochs=epochs, callbacks=callbacks,
                verbose=verbose, steps_per_epoch=steps, shuffle=False,
                validation_steps=steps_for(len(val), cfg.batch_size, False))
    finally:
        keras.mixed_precision.set_global_policy("float32")
    history = runs.read_history(run_dir / runs.HISTORY)
    # rows may be lost (a damaged history): the backup knows how many epochs are trained
    done = max(len(history), history[-1]["epoch"] if history else 0, backup.epoch)
    state = {"epochs_done": done, "epochs": epochs,
             "finished": not gan.diverged and done >= epochs}
    runs.write_json(run_dir / runs.STATE, state)
    if gan.diverged:
        raise TrainingError(gan.diverged)
    return RunResult(run_dir, history, epochs, gan=gan)


def _start_from(generator: keras.Model, start: keras.Model, path: str) -> None:
    """Copy ``start``'s weights into the new run's ``generator`` (``init_generator``); a file
    of another architecture is refused by name."""
    from colorgan_utils.models import hinted_generator, takes_hints

    if takes_hints(generator) and not takes_hints(start):
        try:  # the hinted generator extends an automatic one: its weights, the branch at 0
            start = hinted_generator(start, generator.get_layer("split_hints").gain,
                                     any(ly.name == "hint_gate" for ly in generator.layers))
        except ValueError as exc:
            raise TrainingError(f"init_generator={path}: {exc}") from None
    mine, theirs = generator.get_weights(), start.get_weights()
    if len(mine) != len(theirs) or any(a.shape != b.shape for a, b in zip(mine, theirs)):
        raise TrainingError(f"init_generator={path}: its architecture does not match this "
                            "run's generator (encoder, alpha, width); use the settings it "
                            "was trained with")
    generator.set_weights(theirs)


def optimizers(cfg: Config, total_steps: int) -> dict[str, Any]:
    """The run's optimizers, as :meth:`ColorGAN.compile` takes them: Adam for the generator
    (keeping the averaged generator when ``ema_momentum`` > 0) and the discriminator at the
    learning rate (or its schedule over ``total_steps``), and, for a pretrained encoder, its
    own Adam at ``encoder_lr_mult`` times that rate (also averaged). Taught in notebook 04."""
    lr = learning_rate(cfg, total_steps)  # a float or a (stateless) schedule
    average = {"use_ema": True, "ema_momentum": cfg.ema_momentum} if cfg.ema_momentum else {}
    out = {"g_optimizer": keras.optimizers.Adam(lr, beta_1=cfg.beta_1, **average),
           "d_optimizer": keras.optimizers.Adam(lr, beta_1=cfg.beta_1), "e_optimizer": None}
    if cfg.encoder == "mobilenetv2":  # fine-tuned more gently than the new decoder
        e_lr = learning_rate(cfg.replace(learning_rate=cfg.learning_rate * cfg.encoder_lr_mult),
                             total_steps)
        out["e_optimizer"] = keras.optimizers.Adam(e_lr, beta_1=cfg.beta_1, **average)
    return out


def learning_rate(cfg: Config, total_steps: int) -> Any:
    """The optimizers' learning rate: ``cfg.learning_rate``, or (``lr_schedule="cosine"``) a
    cosine decay from it to 0 over ``total_steps`` (the run's epochs x steps per epoch)."""
    if cfg.lr_schedule not in LR_SCHEDULES:
        raise TrainingError(f"lr_schedule={cfg.lr_schedule!r}: use one of "
                            f"{', '.join(LR_SCHEDULES)}")
    if cfg.lr_schedule == "cosine":
        return keras.optimizers.schedules.CosineDecay(cfg.learning_rate, max(1, total_steps))
    return cfg.learning_rate


def gray_baseline_l1(ds: tf.data.Dataset) -> float:
    """Mean |ab| over a dataset of ``(L, ab)`` batches: the L1 of predicting gray (ab = 0)."""
    total, count = 0.0, 0
    for _, ab in ds:
        total += float(tf.reduce_sum(tf.abs(ab)))
        count += int(tf.size(ab))
    return total / max(count, 1)
