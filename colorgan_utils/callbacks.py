"""Keras callbacks that make a ColorGAN run watchable and resumable.

Taught in notebook 04. ``fit()`` brings the progress bar; these add: the L1-only warm-up switch,
a per-epoch sample grid, best/last generator files, a history CSV that survives resumes, a stop
on non-finite losses that names the last good checkpoint, and a ``BackupAndRestore`` that
refuses to restore a checkpoint that does not fit instead of silently starting over.
"""

from __future__ import annotations

import json
import math
import os
import time
from pathlib import Path
from typing import Any

import keras
import numpy as np


from colorgan_utils import runs
from colorgan_utils.errors import RunError, TrainingError  # noqa: E402  (re-exported)


def _atomic_save(model: keras.Model, path: Path) -> None:
    """Save a model so that a crash mid-write never leaves a broken file at ``path``."""
    from colorgan_utils.runs import writing

    tmp = path.with_name(path.stem + ".tmp.keras")
    with writing(path):
        model.save(tmp)
        os.replace(tmp, path)


def _diverged(model: keras.Model) -> str | None:
    return getattr(model, "diverged", None)


class AdversarialSwitch(keras.callbacks.Callback):
    """L1-only warm-up: the generator's adversarial term is off for the first ``warmup_epochs``.
    With ``colour_ratio`` < 1 (``l1_lambda_end / l1_lambda``) the colour term's weight then
    falls geometrically, step by step, from 1 x to ``colour_ratio`` x over the remaining
    epochs, so that the GAN term weighs more and more (``model.colour_scale``). Both are
    decided from the epoch and the step alone, so a resumed run is in the right state."""

    def __init__(self, colour_ratio: float = 1.0) -> None:
        super().__init__()
        self.colour_ratio = float(colour_ratio)

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self.epoch = epoch
        on = 1.0 if epoch >= self.model.warmup_epochs else 0.0
        self.model.adversarial_weight.assign(on)

    def colour_scale(self, epoch: int, step: int) -> float:
        """The colour term's multiplier at ``step`` (0-based) of ``epoch`` (0-based)."""
        warmup = self.model.warmup_epochs
        if self.colour_ratio == 1.0 or epoch < warmup:
            return 1.0
        steps = int(self.params.get("steps") or 1)
        total = max(1, (int(self.params["epochs"]) - warmup) * steps - 1)
        progress = min(1.0, ((epoch - warmup) * steps + step) / total)
        return self.colour_ratio ** progress

    def on_train_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        if self.colour_ratio != 1.0:
            self.model.colour_scale.assign(self.colour_scale(self.epoch, batch))

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if logs is not None and self.colour_ratio != 1.0:
            logs["colour_scale"] = float(self.model.colour_scale.numpy())


class EncoderSchedule(keras.callbacks.Callback):
    """Transfer learning's habit: the pretrained encoder is frozen (BatchNorm in inference mode,
    no gradient) for the first ``frozen_epochs`` epochs, then fine-tuned by the model's
    ``e_optimizer``; ``frozen_epochs < 0`` keeps it frozen throughout. The training step is
    traced again when that changes. Decided per epoch, so a resumed run is in the right state."""

    def __init__(self, frozen_epochs: int) -> None:
        super().__init__()
        self.frozen_epochs = int(frozen_epochs)

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        from colorgan_utils.encoder import set_frozen

        frozen = self.frozen_epochs < 0 or epoch < self.frozen_epochs
        encoder = self.model._encoder()
        if encoder is None or encoder.trainable == (not frozen):
            return
        set_frozen(self.model.generator, frozen)
        print(f"epoch {epoch + 1}: the pretrained encoder is "
              f"{'frozen' if frozen else 'fine-tuned from now on'}")
        self.model.make_train_function(force=True)


class StopOnNonFinite(keras.callbacks.Callback):
    """Stop as soon as a loss is NaN or infinite, or has exploded (above :attr:`LIMIT`: a
    cross-entropy that large means logits in the thousands, weights blown up though still
    finite); remember a message that names the epoch and the last good checkpoint
    (``model.diverged``), so that nothing of the diverged epoch is kept as "best" or "last".
    Put it first in the callback list."""

    KEYS = ("d_loss", "g_adv_loss", "g_l1", "g_ce")
    LIMIT = 1e3  # a GAN's losses are O(1); the L1 on ab is at most 2

    def __init__(self, run_dir: str | os.PathLike) -> None:
        super().__init__()
        self.run_dir = Path(run_dir)
        self.epoch = 0

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.model.diverged = None

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self.epoch = epoch

    def _check(self, logs: dict | None, where: str) -> None:
        if _diverged(self.model) or not logs:
            return
        bad = {k: v for k, v in logs.items()
               if any(k.endswith(key) for key in self.KEYS)
               and not (math.isfinite(float(v)) and abs(float(v)) <= self.LIMIT)}
        if bad:
            last = self.epoch  # epochs completed before this one
            ckpt = (f"{self.run_dir / runs.BACKUP} (end of epoch {last}) and "
                    f"{runs.model_file(self.run_dir, 'generator', 'last')}" if last else
                    "none (it failed in the first epoch)")
            kind = ("non-finite" if not all(math.isfinite(float(v)) for v in bad.values())
                    else f"exploded (above {self.LIMIT:g})")
            self.model.diverged = (
                f"{kind} loss in epoch {self.epoch + 1} ({where}): "
                + ", ".join(f"{k}={v}" for k, v in bad.items())
                + f". Training stopped; last good checkpoint: {ckpt}. Lower the learning rate "
                "or check the data, then run the same command again to resume from there."
            )
            self.model.stop_training = True

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self._check(logs, f"batch {batch + 1}")

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self._check(logs, "end of epoch")


class TimeBudget(keras.callbacks.Callback):
    """Stop after the first epoch that ends past ``minutes`` of wall time (this process):
    equal-time comparisons, and Colab sessions with a known end. Run again to continue."""

    def __init__(self, minutes: float) -> None:
        super().__init__()
        self.seconds = 60.0 * float(minutes)

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.t0 = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if time.perf_counter() - self.t0 >= self.seconds:
            print(f"time budget of {self.seconds / 60:.1f} min reached after epoch {epoch + 1}; "
                  "run the same command again to continue")
            self.model.stop_training = True


class ResumableBackup(keras.callbacks.BackupAndRestore):
    """``BackupAndRestore`` (weights, both optimizers' state, epoch) that never saves a diverged
    model and turns an unusable checkpoint into a clear :class:`TrainingError`."""

    def __init__(self, backup_dir: str | os.PathLike) -> None:
        super().__init__(str(backup_dir), save_freq="epoch", delete_checkpoint=False,
                         double_checkpoint=True)

    DAMAGED = (OSError, RuntimeError, ValueError, KeyError, json.JSONDecodeError)

    def _first_save_unfinished(self) -> bool:
        """A kill during the very first backup (weights half written, no metadata yet, or the
        metadata cut short) with no earlier backup to fall back to: no epoch was committed,
        so nothing is lost by starting over."""
        meta = Path(self._training_metadata_path)
        if Path(self._prev_weights_path).exists() or Path(self._prev_training_metadata_path).exists():
            return False
        if not meta.is_file():
            return Path(self._weights_path).exists()
        try:
            json.loads(meta.read_text())["epoch"]
            return False
        except (OSError, ValueError, KeyError, TypeError):
            return True

    def on_train_begin(self, logs: dict | None = None) -> None:
        weights = Path(self._weights_path)
        if self._first_save_unfinished():
            print(f"the first backup in {self.backup_dir} was interrupted before it was "
                  "complete: no epoch was committed, training starts from epoch 1")
            weights.unlink(missing_ok=True)
            Path(self._training_metadata_path).unlink(missing_ok=True)
        if Path(self._training_metadata_path).is_file() and not weights.is_file():
            # Keras would restore the epoch without the weights: a silent restart
            first: Exception = FileNotFoundError(f"{weights} is missing")
        else:
            try:  # not Keras' on_train_begin: it falls back on an OSError without a word
                self._load_model()
                return
            except self.DAMAGED as exc:  # h5py raises RuntimeError on a truncated file
                first = exc
        # fall back to the previous backup (.bkp) on any damage (a kill during the last writes
        # of a save, an empty metadata file), and say so: an epoch is trained again
        prev = Path(self._prev_weights_path)
        if prev.is_file():
            try:
                import shutil

                shutil.copyfile(prev, self._weights_path)
                meta, prev_meta = (Path(self._training_metadata_path),
                                   Path(self._prev_training_metadata_path))
                if prev_meta.is_file():
                    shutil.copyfile(prev_meta, meta)
                else:
                    meta.unlink(missing_ok=True)
                self._load_model()
                redo = int(getattr(self.model, "_initial_epoch", 0) or 0) + 1
                print(f"the last backup in {self.backup_dir} was damaged ({type(first).__name__}"
                      f": {first}); resumed from the one saved before it: epoch {redo} is "
                      "trained again (its history row is replaced)")
                return
            except self.DAMAGED as exc:
                first = exc
        raise TrainingError(
            f"cannot resume from the checkpoint in {self.backup_dir}: it is corrupt or was "
            f"made by a different model ({type(first).__name__}: {first}). Train into a new "
            f"folder, or delete {self.backup_dir} to start this run over."
        ) from first

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        """Nothing here: :class:`BackupCommit`, last in the callback list, saves the backup
        once everything else the epoch writes (history row, models, grid) is written."""

    def commit(self, epoch: int, logs: dict | None = None) -> None:
        from colorgan_utils.runs import writing

        if not _diverged(self.model):
            with writing(self._weights_path):
                super().on_epoch_end(epoch, logs)

    @property
    def epoch(self) -> int:
        """Epochs the backup holds (0 when there is none)."""
        return runs.backup_epochs(self.backup_dir)


class BackupCommit(keras.callbacks.Callback):
    """Put last: an epoch counts as done (the backup moves on) only when every file it writes
    is written, so an interruption at any moment re-runs that epoch instead of losing a history
    row or a sample grid."""

    def __init__(self, backup: ResumableBackup, history: "HistoryCSV | None" = None) -> None:
        super().__init__()
        self.backup = backup
        self.history = history

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.backup.commit(epoch, logs)
        if self.history is not None and not _diverged(self.model):
            self.history.commit(epoch)  # the row becomes visible once its backup is on disk


class Throughput(keras.callbacks.Callback):
    """Adds ``images_per_s`` (training images per second of the epoch's training part)."""

    def __init__(self, batch_size: int) -> None:
        super().__init__()
        self.batch_size = batch_size

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self.t0, self.batches, self.t_train = time.perf_counter(), 0, None

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self.batches = batch + 1

    def on_test_begin(self, logs: dict | None = None) -> None:
        if self.t_train is None:
            self.t_train = time.perf_counter() - self.t0

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        seconds = self.t_train or (time.perf_counter() - self.t0)
        if logs is not None:
            logs["images_per_s"] = self.batches * self.batch_size / max(seconds, 1e-9)
            logs["epoch_seconds"] = time.perf_counter() - self.t0


# columns that runs trained before the vocabulary was settled (README, Glossary) still carry


class HistoryCSV(keras.callbacks.Callback):
    """``history.csv``: one row per completed epoch, first column ``epoch`` (1-based); rows of
    earlier epochs are kept on resume, and a row is never duplicated.

    An epoch's row is committed once: at the epoch's end it goes to ``history.pending.json``,
    and into ``history.csv`` only after the epoch's backup is on disk (:class:`BackupCommit`
    calls :meth:`commit`). A row a user can see is never redone: a kill before the backup
    loses the pending row with the epoch in flight; a kill between the backup and the commit
    leaves a pending row that the next start commits."""

    def __init__(self, path: str | os.PathLike) -> None:
        super().__init__()
        self.path = Path(path)
        self.pending_path = self.path.with_name(runs.PENDING)
        self.rows: dict[int, dict[str, Any]] = {}
        self.pending: dict[str, Any] | None = None

    def on_train_begin(self, logs: dict | None = None) -> None:
        start = int(getattr(self.model, "_initial_epoch", 0) or 0)
        self.rows = {r["epoch"]: r for r in runs.read_history(self.path) if r["epoch"] <= start}
        pending = self._read_pending()
        if pending is not None and pending.get("epoch", 0) <= start:
            self.rows[int(pending["epoch"])] = pending  # backed up, not yet committed
        self.pending_path.unlink(missing_ok=True)  # later: the epoch is redone
        missing = [e for e in range(1, start + 1) if e not in self.rows]
        if missing:  # checked against the backup's epoch on every start
            print(f"warning: {self.path} lacks the row(s) of epoch(s) "
                  f"{', '.join(map(str, missing))} that the backup has trained (the file was "
                  f"damaged or edited); those figures are lost, training goes on from epoch "
                  f"{start + 1}")
        self._write()

    def _read_pending(self) -> dict[str, Any] | None:
        try:
            row = json.loads(self.pending_path.read_text())
            row["epoch"] = int(row["epoch"])
            return row
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if _diverged(self.model):
            return
        row = {"epoch": epoch + 1}
        row.update({k: float(v) for k, v in (logs or {}).items()})
        row["adversarial"] = float(self.model.adversarial_weight.numpy())
        self.pending = row
        from colorgan_utils.runs import writing

        tmp = self.pending_path.with_suffix(".tmp")
        with writing(self.pending_path):
            tmp.write_text(json.dumps(row))
            os.replace(tmp, self.pending_path)

    def commit(self, epoch: int) -> None:
        """The epoch's backup is on disk: its row goes into ``history.csv``."""
        if self.pending is None or self.pending["epoch"] != epoch + 1:
            return
        self.rows[epoch + 1] = self.pending
        self.pending = None
        self._write()
        self.pending_path.unlink(missing_ok=True)

    def _write(self) -> None:
        if self.rows:
            runs.write_history(self.path, [self.rows[e] for e in sorted(self.rows)])


class ApplyLearningRate(keras.callbacks.Callback):
    """After the backup restored the optimizers (put it after :class:`ResumableBackup`): set
    both learning rates to the run's configured one, so a resumed run with a new
    ``--learning-rate`` (config.json) really uses it, and say so."""

    def __init__(self, learning_rate: float) -> None:
        super().__init__()
        self.learning_rate = float(learning_rate)

    def on_train_begin(self, logs: dict | None = None) -> None:
        for name in ("g_optimizer", "d_optimizer"):
            opt = getattr(self.model, name)
            old = float(keras.ops.convert_to_numpy(opt.learning_rate))
            if not math.isclose(old, self.learning_rate, rel_tol=1e-6):
                print(f"{name}: learning rate {old:g} restored from the backup; "
                      f"{self.learning_rate:g} from the settings applied")
                opt.learning_rate = self.learning_rate


class AveragedGenerator(keras.callbacks.Callback):
    """With ``ema_momentum`` > 0 (the generator's optimizer keeps an average of its weights):
    from validation to the end of the epoch the generator holds the average, so validation,
    :class:`GeneratorCheckpoint` and :class:`SampleGrid` see it; then its own weights come back
    before :class:`BackupCommit` saves them, and training goes on from them. Put it after the
    callbacks that should see the average and before :class:`BackupCommit`."""

    def __init__(self) -> None:
        super().__init__()
        self.own: list | None = None

    def _pairs(self) -> list[tuple[Any, list]]:
        """(optimizer, the variables it averages) for each averaging optimizer."""
        pairs = []
        for name, variables in (("g_optimizer", "g_variables"), ("e_optimizer", "e_variables")):
            opt = getattr(self.model, name, None)
            opt = getattr(opt, "inner_optimizer", opt)  # under a LossScaleOptimizer
            # an optimizer that never stepped (a frozen encoder's) has no average yet
            if getattr(opt, "use_ema", False) and int(opt.iterations.numpy()) > 0:
                own = getattr(self.model, variables, None)  # ColorGAN sets both lists
                if own is None:
                    own = self.model.generator.trainable_variables
                pairs.append((opt, list(own)))
        return pairs

    def on_test_begin(self, logs: dict | None = None) -> None:
        pairs = self._pairs()
        if not pairs or self.own is not None:
            return
        self.own = []
        for opt, weights in pairs:
            self.own += [(v, keras.ops.convert_to_numpy(v)) for v in weights]
            opt.finalize_variable_values(weights)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if self.own is None:
            return
        for var, value in self.own:
            var.assign(value)
        self.own = None


class GeneratorCheckpoint(keras.callbacks.Callback):
    """The last generator (and discriminator, :func:`runs.model_file`) after every epoch, and
    ``generator_best.keras`` (+ discriminator, of the same epoch): at the lowest ``monitor``
    (e.g. ``val_g_l1``) of the adversarial phase (warm-up epochs only count while nothing
    better exists), or, with ``monitor=None``, the last epoch's (the averaged generator of
    a run that ends on the GAN term). ``best.json`` says which epoch and by which rule."""

    def __init__(self, run_dir: str | os.PathLike, monitor: str | None = "val_g_l1") -> None:
        super().__init__()
        self.run_dir = Path(run_dir)
        self.monitor = monitor
        self.best = math.inf

    def on_train_begin(self, logs: dict | None = None) -> None:
        state = self.run_dir / runs.BEST
        if not state.is_file():
            self.best = math.inf
            return
        try:
            self.best = float(runs.read_json(state)["score"])  # a damaged file is named
        except (KeyError, TypeError, ValueError):
            raise RunError(f"{state} is damaged (no score); delete it (the next epoch then "
                           "becomes the best) or restore it") from None

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if _diverged(self.model):
            return
        _atomic_save(self.model.generator, runs.model_file(self.run_dir, "generator", "last"))
        _atomic_save(self.model.discriminator,
                     runs.model_file(self.run_dir, "discriminator", "last"))
        if self.monitor is None:  # the last epoch is the one kept
            value, rule, score = None, "the last epoch's averaged generator", -float(epoch + 1)
        else:
            value = (logs or {}).get(self.monitor)
            if value is None:
                return
            adversarial = epoch >= self.model.warmup_epochs
            # prefer adversarial epochs
            score = float(value) if adversarial else 1e6 + float(value)
            rule = f"the lowest {self.monitor} after the warm-up"
        if score < self.best:
            self.best = score
            _atomic_save(self.model.generator, runs.model_file(self.run_dir, "generator", "best"))
            _atomic_save(self.model.discriminator,
                         runs.model_file(self.run_dir, "discriminator", "best"))
            row = {"epoch": epoch + 1, "score": score, "rule": rule}
            if value is not None:
                row[self.monitor] = float(value)
            runs.write_json(self.run_dir / runs.BEST, row)


def sample_columns(generator: keras.Model, l_norm: Any, ab_norm: Any,
                   epoch: int) -> dict[str, np.ndarray]:
    """The columns of a sample grid, RGB in [0, 1]: ``original``, ``gray`` (the black-and-white
    photo: its lightness, L in [0, 1]) and ``colorized, epoch N``."""
    from colorgan_utils.color import lab_normalized_to_rgb

    from colorgan_utils.models import as_input

    colorized = generator(as_input(generator, l_norm), training=False)  # a hinted one: none
    return {"original": lab_normalized_to_rgb(l_norm, ab_norm).numpy(),
            "gray": (np.asarray(l_norm) + 1) / 2,
            f"colorized, epoch {epoch}": lab_normalized_to_rgb(l_norm, colorized).numpy()}


class SampleGrid(keras.callbacks.Callback):
    """After every epoch, ``samples/epoch_NNN.png``: original / gray / colorized for a fixed
    validation batch, so the progress is visible epoch by epoch."""

    def __init__(self, run_dir: str | os.PathLike, l_norm: Any, ab_norm: Any) -> None:
        super().__init__()
        self.run_dir = Path(run_dir)
        self.l_norm, self.ab_norm = np.asarray(l_norm), np.asarray(ab_norm)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if _diverged(self.model):
            return
        import matplotlib.pyplot as plt

        from colorgan_utils.viz import plot_comparison

        fig = plot_comparison(sample_columns(self.model.generator, self.l_norm, self.ab_norm,
                                             epoch + 1), size=1.6)
        from colorgan_utils.runs import writing

        target = runs.sample_file(self.run_dir, epoch + 1)
        try:
            with writing(target):
                target.parent.mkdir(parents=True, exist_ok=True)
                fig.savefig(target, dpi=72, bbox_inches="tight")
        finally:
            plt.close(fig)


class ShowSamples(keras.callbacks.Callback):
    """In a notebook (notebook 04): show each epoch's sample grid as soon as
    :class:`SampleGrid` has written it (put it after that one), so the colours can be watched
    while the run goes on."""

    def __init__(self, run_dir: str | os.PathLike) -> None:
        super().__init__()
        self.run_dir = Path(run_dir)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        from IPython.display import Image, display

        path = runs.sample_file(self.run_dir, epoch + 1)
        if path.is_file():
            display(Image(filename=str(path)))
