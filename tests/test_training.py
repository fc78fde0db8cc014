import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import keras
import numpy as np
import pytest

from colorgan_utils.callbacks import TrainingError
from colorgan_utils.config import get_config
from colorgan_utils.data import steps_for
from colorgan_utils.runs import load_compact, save_compact
from colorgan_utils.runs import load_generator, read_history
from colorgan_utils.training import train

ROOT = Path(__file__).resolve().parents[1]
# training's mechanics (resume, checkpoints, schedules) on the fast from-scratch U-Net; the
# default pretrained encoder's run has its own test below, and tests/test_runs.py uses it
CFG = get_config("smoke", environ={}, encoder="scratch")


@pytest.fixture(scope="module")
def steps(splits):
    return steps_for(len(splits["train"]), CFG.batch_size, True)


class Interrupt(keras.callbacks.Callback):
    """Kill the run after an epoch is complete (backup committed: at the start of the next
    one), remembering optimizer state."""

    def __init__(self, after_epoch: int):
        super().__init__()
        self.after = after_epoch
        self.state = None

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.after:
            self.state = [v.numpy().copy() for v in self.model.g_optimizer.variables]
            self.weights = [w.copy() for w in self.model.generator.get_weights()
                            + self.model.discriminator.get_weights()]
            raise KeyboardInterrupt


class Probe(keras.callbacks.Callback):
    """Records the optimizer state when training (re)starts, and the epochs actually run."""

    def __init__(self):
        super().__init__()
        self.start_state, self.epochs_run = None, []

    def on_train_begin(self, logs=None):
        self.start_state = [v.numpy().copy() for v in self.model.g_optimizer.variables]
        self.start_weights = [w.copy() for w in self.model.generator.get_weights()
                              + self.model.discriminator.get_weights()]

    def on_epoch_begin(self, epoch, logs=None):
        self.epochs_run.append(epoch + 1)


def test_full_run_writes_everything(tmp_path, splits, steps):
    run = tmp_path / "run"
    result = train(CFG, run, splits=splits, epochs=2, verbose=0)
    assert [r["epoch"] for r in result.history] == [1, 2]
    for name in ("config.json", "history.csv", "generator_best.keras", "generator_last.keras",
                 "discriminator_last.keras", "samples/epoch_001.png", "samples/epoch_002.png",
                 "backup", "logs", "state.json"):
        assert (run / name).exists(), name
    header = (run / "history.csv").read_text().splitlines()[0].split(",")
    assert header[0] == "epoch"
    for key in ("d_loss", "g_adv_loss", "g_l1", "d_real_acc", "d_colorized_acc", "val_g_l1",
                "val_d_real_acc", "val_d_colorized_acc", "images_per_s"):
        assert key in header, key
    for row in result.history:
        assert all(np.isfinite(v) for v in row.values())
    assert int(result.gan.g_optimizer.iterations) == 2 * steps
    g = load_generator(run / "generator_last.keras")
    np.testing.assert_array_equal(g.get_weights()[0], result.gan.generator.get_weights()[0])
    # a finished run is left alone
    again = train(CFG, run, splits=splits, epochs=2, verbose=0)
    assert again.already_finished and len(again.history) == 2


def test_interrupted_run_resumes_where_it_stopped(tmp_path, splits, steps):
    full = train(CFG, tmp_path / "full", splits=splits, epochs=3, verbose=0)
    run = tmp_path / "killed"
    killer = Interrupt(after_epoch=1)
    with pytest.raises(KeyboardInterrupt):
        train(CFG, run, splits=splits, epochs=3, verbose=0, extra_callbacks=[killer])
    assert len(read_history(run / "history.csv")) == 1
    probe = Probe()
    resumed = train(CFG, run, splits=splits, epochs=3, verbose=0, extra_callbacks=[probe])
    assert probe.epochs_run == [2, 3]  # only the missing epochs ran
    for saved, restored in zip(killer.state, probe.start_state):  # optimizer state intact
        np.testing.assert_array_equal(saved, restored)
    for saved, restored in zip(killer.weights, probe.start_weights):  # and both networks
        np.testing.assert_array_equal(saved, restored)
    assert int(probe.start_state[0]) == steps  # iteration count continued, not reset
    assert [r["epoch"] for r in resumed.history] == [r["epoch"] for r in full.history]
    assert int(resumed.gan.g_optimizer.iterations) == int(full.gan.g_optimizer.iterations)
    assert int(resumed.gan.d_optimizer.iterations) == 3 * steps


def test_more_epochs_continue_a_finished_run(tmp_path, splits, steps):
    run = tmp_path / "run"
    train(CFG, run, splits=splits, epochs=1, verbose=0)
    result = train(CFG, run, splits=splits, epochs=2, verbose=0)
    assert [r["epoch"] for r in result.history] == [1, 2]
    assert int(result.gan.g_optimizer.iterations) == 2 * steps


class Poison(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        if epoch == 1:
            w = self.model.generator.get_layer("down1_conv").kernel
            w.assign(w * np.nan)


def test_nan_stops_with_epoch_and_last_good_checkpoint(tmp_path, splits):
    run = tmp_path / "run"
    with pytest.raises(TrainingError, match=r"epoch 2 .*generator_last\.keras") as info:
        train(CFG, run, splits=splits, epochs=3, verbose=0, extra_callbacks=[Poison()])
    assert "end of epoch 1" in str(info.value)
    assert json.loads((run / "backup" / "training_metadata.json").read_text())["epoch"] == 1
    g = load_generator(run / "generator_last.keras")
    assert all(np.isfinite(w).all() for w in g.get_weights())
    assert len(read_history(run / "history.csv")) == 1
    assert not json.loads((run / "state.json").read_text())["finished"]


class BlowUp(keras.callbacks.Callback):
    """The discriminator's weights x 1e6 and its biases + 1e4 from epoch 2 on: losses huge but
    finite (a spectrally normalised discriminator divides the scaled kernels back down; the
    biases it does not touch)."""

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == 1:
            for w in self.model.discriminator.trainable_weights:
                w.assign(w * 1e6 + (1e4 if "bias" in w.path else 0.0))


def test_exploded_losses_stop_the_run_and_keep_the_last_good_epoch(tmp_path, splits):
    """Weights blown up by 1e6 give finite losses in the millions: the run stops with a
    divergence message instead of going on and keeping a diverged "last" generator."""
    run = tmp_path / "run"
    with pytest.raises(TrainingError, match=r"exploded \(above 1000\) loss in epoch 2"):
        train(CFG, run, splits=splits, epochs=3, verbose=0, extra_callbacks=[BlowUp()])
    assert [r["epoch"] for r in read_history(run / "history.csv")] == [1]
    assert json.loads((run / "backup" / "training_metadata.json").read_text())["epoch"] == 1
    assert not json.loads((run / "state.json").read_text())["finished"]


def test_corrupt_checkpoint_is_a_clear_error(tmp_path, splits):
    run = tmp_path / "run"
    killer = Interrupt(after_epoch=1)
    with pytest.raises(KeyboardInterrupt):
        train(CFG, run, splits=splits, epochs=2, verbose=0, extra_callbacks=[killer])
    for f in (run / "backup").glob("*.weights.h5*"):
        f.write_bytes(b"not an hdf5 file")
    with pytest.raises(TrainingError, match="cannot resume from the checkpoint in .*backup"):
        train(CFG, run, splits=splits, epochs=2, verbose=0)


def test_mismatched_settings_and_checkpoint_are_clear_errors(tmp_path, splits):
    run = tmp_path / "run"
    killer = Interrupt(after_epoch=1)
    with pytest.raises(KeyboardInterrupt):
        train(CFG, run, splits=splits, epochs=2, verbose=0, extra_callbacks=[killer])
    wider = CFG.replace(generator_width=16)
    with pytest.raises(TrainingError, match="generator_width: run has 8, now 16"):
        train(wider, run, splits=splits, epochs=2, verbose=0)
    (run / "config.json").unlink()  # without the record, the checkpoint itself must object
    with pytest.raises(TrainingError, match="cannot resume"):
        train(wider, run, splits=splits, epochs=2, verbose=0)


def test_unwritable_run_dir_is_named(tmp_path, splits):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(TrainingError, match=f"cannot write to the run folder {blocker / 'run'}"):
        train(CFG, blocker / "run", splits=splits, epochs=1, verbose=0)


def test_mirrored_strategy_on_two_logical_cpus(tmp_path, data_dir):
    script = textwrap.dedent(f"""
        import json, tensorflow as tf
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
        from colorgan_utils import env
        from colorgan_utils.config import get_config
        from colorgan_utils.data import load_splits
        from colorgan_utils.training import train
        cfg = get_config("smoke", environ={{}})
        _, splits = load_splits(cfg.replace(data_dir={str(data_dir)!r}))
        strategy = env.get_strategy("mirrored")
        r = train(cfg, {str(tmp_path / "run")!r}, splits=splits, epochs=1, verbose=0,
                  strategy=strategy)
        print(json.dumps({{"replicas": strategy.num_replicas_in_sync,
                          "iterations": int(r.gan.g_optimizer.iterations.numpy()),
                          "train": len(splits["train"]), "history": r.history}}))
    """)
    res = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         cwd=ROOT, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert res.returncode == 0, res.stderr[-3000:]
    out = json.loads(res.stdout.strip().splitlines()[-1])
    assert out["replicas"] == 2
    # the global batch (8) is split over the replicas: one optimizer step per global batch
    assert out["iterations"] == out["train"] // CFG.batch_size
    assert all(np.isfinite(v) for v in out["history"][0].values())


def test_cli_train_end_to_end(tmp_path, data_dir):
    def cli(*args):
        return subprocess.run([sys.executable, "-m", "colorgan_utils", *args],
                              capture_output=True, text=True, cwd=ROOT,
                              env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})

    run = tmp_path / "run"
    res = cli("train", "--data", str(data_dir), "--out", str(run), "--preset", "smoke",
              "--epochs", "1")
    assert res.returncode == 0, res.stderr[-2000:]
    assert "Done: 1 epochs" in res.stdout
    assert json.loads((run / "config.json").read_text())["image_size"] == 32
    assert (run / "generator_best.keras").is_file() and (run / "samples/epoch_001.png").is_file()
    again = cli("train", "--data", str(data_dir), "--out", str(run), "--preset", "smoke",
                "--epochs", "1")
    assert again.returncode == 0 and "already finished 1 epochs" in again.stdout
    bad = cli("train", "--data", str(tmp_path / "nope"), "--out", str(tmp_path / "r2"),
              "--preset", "smoke")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert str(tmp_path / "nope") in bad.stderr


def test_compact_generator_file(tmp_path):
    from colorgan_utils.models import build_generator

    g = build_generator(32, width=8)
    save_compact(g, tmp_path / "g.npz")
    g2 = load_generator(tmp_path / "g.npz")
    x = np.random.default_rng(0).uniform(-1, 1, (2, 32, 32, 1)).astype("float32")
    np.testing.assert_allclose(g(x).numpy(), g2(x).numpy(), atol=2e-3)
    (tmp_path / "bad.npz").write_bytes(b"nope")
    with pytest.raises(ValueError, match="bad.npz is not a compact"):
        load_compact(tmp_path / "bad.npz")


def test_a_generator_trained_in_mixed_precision_loads_to_compute_in_float32(tmp_path):
    """A GPU run's generator keeps ``mixed_bfloat16`` in its file; loaded for colorizing on a
    CPU it must compute in float32 (bfloat16 convolutions there are ~10x slower and round
    every activation), as a .npz and as a .keras file, with the same weights."""
    import keras

    from colorgan_utils.models import build_generator

    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        g = build_generator(32, width=8)
    finally:
        keras.mixed_precision.set_global_policy("float32")
    assert g.get_layer("up1_deconv").compute_dtype == "bfloat16"
    save_compact(g, tmp_path / "g.npz")
    g.save(tmp_path / "g.keras")
    x = np.random.default_rng(0).uniform(-1, 1, (2, 32, 32, 1)).astype("float32")
    for path in ("g.npz", "g.keras"):
        loaded = load_generator(tmp_path / path)
        assert {layer.compute_dtype for layer in loaded.layers} == {"float32"}, path
        ref = build_generator(32, width=8)
        ref.set_weights([w.astype(np.float16).astype(np.float32) if path == "g.npz" else w
                         for w in g.get_weights()])
        np.testing.assert_allclose(loaded(x).numpy(), ref(x).numpy(), atol=1e-6)
    plain = build_generator(32, width=8)
    from colorgan_utils.models import with_current_policy

    assert with_current_policy(plain) is plain


def test_compact_classification_generator_loads_in_a_fresh_process(tmp_path):
    """A colour-as-classes generator's .npz names the AnnealedMean layer: loading it through
    ``runs.load_generator`` (as evaluate and colorize do) must register that layer itself (a
    fresh process has not imported colour_classes)."""
    import subprocess
    import sys

    from colorgan_utils.colour_classes import class_generator
    from colorgan_utils.models import build_generator

    g = class_generator(build_generator(32, width=8))
    save_compact(g, tmp_path / "g.npz")
    x = np.random.default_rng(1).uniform(-1, 1, (1, 32, 32, 1)).astype("float32")
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", g(x).numpy())
    code = ("import numpy as np, sys; from colorgan_utils.runs import load_generator; "
            "d = sys.argv[1]; g = load_generator(d + '/g.npz'); "
            "print(float(np.abs(g(np.load(d + '/x.npy')).numpy() - np.load(d + '/y.npy')).max()))")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert float(out.stdout.strip().splitlines()[-1]) < 5e-3


def test_mirrored_step_equals_the_single_device_step(tmp_path):
    """Known answer for the replica division: each of 2 replicas gets the same 4 photos, so one
    SGD step on the global batch of 8 must equal one step on those 4 photos on one device (the
    replicas' gradients are summed: without dividing each loss by 2 the step is twice as big).
    SGD, not Adam (Adam's step does not grow with the gradient); no dropout, same BN batches."""
    script = textwrap.dedent("""
        import json, numpy as np, tensorflow as tf, keras
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
        from colorgan_utils import env
        from colorgan_utils.gan import ColorGAN
        from colorgan_utils.models import build_discriminator, build_generator

        rng = np.random.default_rng(0)
        lum = rng.uniform(-1, 1, (4, 32, 32, 1)).astype("float32")
        ab = rng.uniform(-0.5, 0.5, (4, 32, 32, 2)).astype("float32")
        keras.utils.set_random_seed(1)
        init = [build_generator(32, width=8, dropout=0.0).get_weights(),
                build_discriminator(32, width=8).get_weights()]

        def one_step(strategy, copies):
            with strategy.scope():
                g = build_generator(32, width=8, dropout=0.0)
                d = build_discriminator(32, width=8)
                g.set_weights(init[0]); d.set_weights(init[1])
                gan = ColorGAN(g, d)
                gan.compile(keras.optimizers.SGD(0.01), keras.optimizers.SGD(0.01))
            x = tf.data.Dataset.from_tensors((np.concatenate([lum] * copies),
                                              np.concatenate([ab] * copies)))
            gan.fit(x, epochs=1, verbose=0)
            return ([w - w0 for w, w0 in zip(g.get_weights(), init[0])],
                    [w - w0 for w, w0 in zip(d.get_weights(), init[1])])

        mirrored = env.get_strategy("mirrored")
        m = one_step(mirrored, 2)
        s = one_step(tf.distribute.get_strategy(), 1)
        ratio = lambda a, b: float(sum(np.abs(x).sum() for x in a) / sum(np.abs(x).sum() for x in b))
        close = lambda a, b: all(np.allclose(x, y, rtol=1e-3, atol=1e-6) for x, y in zip(a, b))
        print(json.dumps({"replicas": mirrored.num_replicas_in_sync,
                          "g_ratio": ratio(m[0], s[0]), "d_ratio": ratio(m[1], s[1]),
                          "g_close": close(m[0], s[0]), "d_close": close(m[1], s[1])}))
    """)
    res = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         cwd=ROOT, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert res.returncode == 0, res.stderr[-3000:]
    out = json.loads(res.stdout.strip().splitlines()[-1])
    assert out["replicas"] == 2
    assert abs(out["g_ratio"] - 1) < 0.01 and abs(out["d_ratio"] - 1) < 0.01, out
    assert out["g_close"] and out["d_close"], out


def test_resume_checks_history_learning_rate_and_photos(tmp_path, splits, capsys):
    """Issue 10 #2, #6: a lost history row is named and the run still finishes; a new
    learning rate on resume is applied (and said); other photos on resume are refused."""
    import csv as _csv

    run = tmp_path / "run"
    train(CFG, run, splits=splits, epochs=2, verbose=0)
    path = run / "history.csv"
    rows = list(_csv.DictReader(path.open()))
    with path.open("w", newline="") as f:  # the row of epoch 1 is lost
        w = _csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerow(rows[1])
    capsys.readouterr()
    res = train(CFG.replace(learning_rate=5e-5), run, splits=splits, epochs=3, verbose=0)
    out = capsys.readouterr().out
    assert "lacks the row(s) of epoch(s) 1" in out
    assert "learning rate 0.0002 restored from the backup; 5e-05 from the settings applied" in out
    assert float(res.gan.g_optimizer.learning_rate.numpy()) == pytest.approx(5e-5)
    assert float(res.gan.d_optimizer.learning_rate.numpy()) == pytest.approx(5e-5)
    assert res.epochs_done == 3
    state = json.loads((run / "state.json").read_text())
    assert state == {"epochs_done": 3, "epochs": 3, "finished": True}
    other = {**splits, "train": splits["train"][1:]}
    with pytest.raises(TrainingError, match="was trained on other photos"):
        train(CFG, run, splits=other, epochs=4, verbose=0)


def test_history_of_an_older_run_reads_in_todays_words(tmp_path):
    """Runs trained before the vocabulary was settled wrote ``d_fake_acc``; resuming or plotting
    them reads it as ``d_colorized_acc`` (docs/glossary.md), so the curves do not split in two."""
    path = tmp_path / "history.csv"
    path.write_text("epoch,d_fake_acc,d_real_acc,val_d_fake_acc\n1,0.25,0.75,0.5\n")
    (row,) = read_history(path)
    assert row == {"epoch": 1, "d_colorized_acc": 0.25, "d_real_acc": 0.75,
                   "val_d_colorized_acc": 0.5}


def test_averaged_generator_known_answer():
    """Issue 8: ``AveragedGenerator`` puts the optimizer's running average of the generator's
    weights in place for validation and gives the generator its own weights back at the end of
    the epoch (also under the mixed-precision LossScaleOptimizer); without an average it does
    nothing."""
    import types

    from colorgan_utils.callbacks import AveragedGenerator

    def run(wrap, use_ema=True, validations=1, optimizer=True):
        gen = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, use_bias=False)])
        w = gen.trainable_variables[0]
        w.assign([[0.0]])
        opt = keras.optimizers.SGD(1.0, use_ema=use_ema, ema_momentum=0.5)
        opt = keras.optimizers.LossScaleOptimizer(opt, initial_scale=1.0) if wrap else opt
        opt.build(gen.trainable_variables)
        for _ in range(3):  # w: -1, -2, -3
            opt.apply_gradients([(np.ones((1, 1), np.float32), w)])
        cb = AveragedGenerator()
        model = types.SimpleNamespace(generator=gen)
        if optimizer is True:
            model.g_optimizer = opt
        elif optimizer is not None:
            model.g_optimizer = optimizer
        cb.set_model(model)
        for _ in range(validations):  # a second validation must not take the average as own
            cb.on_test_begin()
        during = float(w.numpy()[0, 0])
        cb.on_epoch_end(0)
        after = float(w.numpy()[0, 0])
        # the next epoch: one more step (w -4, average 0.5 * -2.25 + 0.5 * -4 = -3.125), and
        # its validation sees the new average again
        opt.apply_gradients([(np.ones((1, 1), np.float32), w)])
        cb.on_test_begin()
        again = float(w.numpy()[0, 0])
        cb.on_epoch_end(1)
        assert float(w.numpy()[0, 0]) == -4.0
        assert again == (-3.125 if during == -2.25 else -4.0)
        return during, after

    # average: -1 (the first step takes the weight), then 0.5 * -1 + 0.5 * -2 = -1.5,
    # then 0.5 * -1.5 + 0.5 * -3 = -2.25
    assert run(wrap=False) == (-2.25, -3.0)
    assert run(wrap=True) == (-2.25, -3.0)
    assert run(wrap=False, validations=2) == (-2.25, -3.0)
    assert run(wrap=False, use_ema=False) == (-3.0, -3.0)
    # a model with no generator optimizer, or one that knows nothing of averages: untouched
    assert run(wrap=False, optimizer=None) == (-3.0, -3.0)
    assert run(wrap=False, optimizer=types.SimpleNamespace(learning_rate=1.0)) == (-3.0, -3.0)


class WeightsSeen(keras.callbacks.Callback):
    """The generator's weights at validation and at the end of each epoch, and the learning
    rate at the end of each epoch."""

    def __init__(self):
        super().__init__()
        self.validated, self.own, self.lr = [], [], []

    def on_test_end(self, logs=None):
        self.validated.append([w.copy() for w in self.model.generator.get_weights()])

    def on_epoch_end(self, epoch, logs=None):
        self.own.append([w.copy() for w in self.model.generator.get_weights()])
        self.lr.append(float(keras.ops.convert_to_numpy(self.model.g_optimizer.learning_rate)))


def test_averaged_generator_and_cosine_schedule_in_a_run(tmp_path, splits, steps):
    """Issue 8: with ``ema_momentum`` the averaged generator is the one validated and saved,
    its own weights go on training and into the backup (a resumed run starts from them), and
    ``lr_schedule="cosine"`` halves the learning rate at half the run and ends at 0, also
    across an interruption."""
    cfg = CFG.replace(ema_momentum=0.9, lr_schedule="cosine")
    run = tmp_path / "run"
    killer = Interrupt(after_epoch=1)
    seen = WeightsSeen()
    with pytest.raises(KeyboardInterrupt):
        train(cfg, run, splits=splits, epochs=2, verbose=0, extra_callbacks=[seen, killer])
    assert seen.lr[0] == pytest.approx(CFG.learning_rate / 2, rel=1e-4)
    saved = load_generator(run / "generator_last.keras").get_weights()
    kernels = [i for i, w in enumerate(saved) if w.ndim == 4]
    assert any(not np.allclose(seen.validated[0][i], seen.own[0][i]) for i in kernels)
    for i in range(len(saved)):  # the average was saved, not the generator's own weights
        np.testing.assert_allclose(saved[i], seen.validated[0][i])
    probe = Probe()
    seen2 = WeightsSeen()
    result = train(cfg, run, splits=splits, epochs=2, verbose=0, extra_callbacks=[probe, seen2])
    for own, restored in zip(killer.weights, probe.start_weights):  # own weights resumed
        np.testing.assert_array_equal(own, restored)
    assert seen2.lr == [pytest.approx(0.0, abs=1e-12)]
    assert int(result.gan.g_optimizer.iterations) == 2 * steps
    best = load_generator(run / "generator_best.keras").get_weights()
    last = load_generator(run / "generator_last.keras").get_weights()
    assert any(not np.array_equal(a, b) for a, b in zip(last, result.gan.generator.get_weights()))
    assert len(best) == len(last)


def test_unknown_schedule_and_bad_average_are_refused_before_writing(tmp_path, splits):
    for bad, match in (({"lr_schedule": "linear"}, "lr_schedule='linear'"),
                       ({"ema_momentum": 1.0}, "ema_momentum=1.0")):
        run = tmp_path / "run"
        with pytest.raises(TrainingError, match=match):
            train(CFG.replace(**bad), run, splits=splits, epochs=1, verbose=0)
        assert not (run / "config.json").exists()


def test_run_saved_before_averaging_existed_resumes_as_trained(tmp_path, splits, capsys):
    """A run whose config.json predates ``ema_momentum``/``lr_schedule`` (e.g. on a user's
    Drive) is resumed as it was trained, with a one-line note, instead of being refused for
    'other settings' that no command line can give."""
    run = tmp_path / "run"
    train(CFG, run, splits=splits, epochs=1, verbose=0)
    saved = json.loads((run / "config.json").read_text())
    for key in ("ema_momentum", "lr_schedule"):
        del saved[key]
    (run / "config.json").write_text(json.dumps(saved))
    capsys.readouterr()
    result = train(CFG.replace(ema_momentum=0.9, lr_schedule="cosine"), run, splits=splits,
                   epochs=2, verbose=0)
    out = capsys.readouterr().out
    assert "trained before ema_momentum, lr_schedule existed" in out
    assert not result.gan.g_optimizer.use_ema
    assert float(result.gan.g_optimizer.learning_rate.numpy()) == pytest.approx(CFG.learning_rate)
    assert result.epochs_done == 2
    # a run that saved the keys is still held to them
    with pytest.raises(TrainingError, match="ema_momentum: run has 0.0, now 0.9"):
        train(CFG.replace(ema_momentum=0.9), run, splits=splits, epochs=3, verbose=0)


# ------------------------------------------------------------------ planted bugs that got through


def test_the_run_s_averaged_generator_moves_by_one_minus_momentum_of_the_step():
    """The generator optimizer a run trains with (:func:`training.optimizers`) keeps an average
    that moves by ``1 - ema_momentum`` of the way to the new weights each step (an inverted
    momentum would make the "average" the latest weights)."""
    from colorgan_utils.training import optimizers

    cfg = CFG.replace(ema_momentum=0.9, lr_schedule="constant", learning_rate=1.0, beta_1=0.0)
    opt = optimizers(cfg, 10)["g_optimizer"]
    w = keras.Variable(np.zeros((1,), np.float32))
    opt.build([w])
    opt.apply_gradients([(np.ones(1, np.float32), w)])  # the first step: average = weight
    first = float(w.numpy()[0])
    opt.apply_gradients([(np.ones(1, np.float32), w)])
    second = float(w.numpy()[0])
    avg = float(opt._model_variables_moving_average[0].numpy()[0])
    assert avg == pytest.approx(0.9 * first + 0.1 * second, rel=1e-5)
    assert avg != pytest.approx(second)


def test_the_adversarial_term_is_on_from_the_first_epoch_after_the_warm_up(tmp_path, splits):
    result = train(CFG.replace(warmup_epochs=1), tmp_path / "run", splits=splits, epochs=3,
                   verbose=0)
    assert [row["adversarial"] for row in result.history] == [0.0, 1.0, 1.0]


def test_training_and_validation_never_read_the_test_split(tmp_path, splits, monkeypatch):
    from colorgan_utils import training

    seen = []
    real = training.make_dataset

    def spy(records, *args, **kwargs):
        seen.extend(r.path for r in records)
        return real(records, *args, **kwargs)

    monkeypatch.setattr(training, "make_dataset", spy)
    train(CFG, tmp_path / "run", splits=splits, epochs=1, verbose=0)
    test = {r.path for r in splits["test"]}
    assert test and seen
    assert not test & set(seen), "the run read test photos"
    assert {r.path for r in splits["val"]} <= set(seen), "the run did not validate"


def test_a_run_trained_with_a_setting_that_has_left_is_refused_by_name(tmp_path, splits):
    """Runs saved when training still offered colour as classes (``objective``), no GAN term
    (``adversarial_lambda``) or the chroma match: they cannot go on, and say so; a run saved
    with those settings at today's values resumes."""
    import json

    run = tmp_path / "run"
    train(CFG, run, splits=splits, epochs=1, verbose=0)
    saved = json.loads((run / "config.json").read_text())
    for key, value in (("objective", "classify"), ("adversarial_lambda", 0.0),
                       ("chroma_lambda", 1.0)):
        (run / "config.json").write_text(json.dumps({**saved, key: value}))
        with pytest.raises(TrainingError, match=f"trained with {key}={value!r}.*notebook 06"):
            train(CFG, run, splits=splits, epochs=2, verbose=0)
    (run / "config.json").write_text(json.dumps(
        {**saved, "objective": "l1", "adversarial_lambda": 1.0, "chroma_lambda": 0.0}))
    assert train(CFG, run, splits=splits, epochs=2, verbose=0).epochs_done == 2


def test_the_sample_grid_shows_the_black_and_white_photo_as_its_lightness(splits):
    from colorgan_utils.callbacks import sample_columns
    from colorgan_utils.data import make_dataset
    from colorgan_utils.models import build_generator

    lum, ab = next(iter(make_dataset(splits["val"], CFG, training=False, batch_size=4)))
    cols = sample_columns(build_generator(32, 8), lum.numpy(), ab.numpy(), epoch=1)
    gray = np.asarray(cols["gray"])
    np.testing.assert_allclose(gray, (lum.numpy() + 1) / 2, atol=1e-6)
    assert 0 <= gray.min() and gray.max() <= 1 and gray.max() > 0.5
    assert list(cols) == ["original", "gray", "colorized, epoch 1"]


def test_pretrained_encoder_run_freezes_then_fine_tunes_and_resumes(tmp_path, splits):
    """A run on the pretrained encoder, uninterrupted: its first epoch leaves the encoder as
    the file has it (frozen), the second fine-tunes it (its weights move in that very run: the
    switch reaches the compiled step); a resumed run goes on fine-tuning."""
    from colorgan_utils.encoder import cached

    class Weights(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.seen = []

        def on_epoch_end(self, epoch, logs=None):
            enc = self.model.generator.get_layer("encoder")
            self.seen.append([w.copy() for w in enc.get_weights()])

    cfg = CFG.replace(encoder="mobilenetv2", encoder_frozen_epochs=1,
                      encoder_weights="imagenet" if cached(0.35) else None)
    run = tmp_path / "run"
    spy = Weights()
    first = train(cfg, run, splits=splits, epochs=2, verbose=0, extra_callbacks=[spy])
    assert len(spy.seen) == 2
    if cfg.encoder_weights:
        from colorgan_utils.encoder import build_encoder

        for a, b in zip(spy.seen[0], build_encoder(0.35, "imagenet").get_weights()):
            np.testing.assert_array_equal(a, b)  # frozen: still the file's
    kernels = [i for i, w in enumerate(spy.seen[0]) if w.ndim == 4]
    assert any(not np.array_equal(spy.seen[0][i], spy.seen[1][i]) for i in kernels), \
        "the encoder's kernels did not move in the first fine-tuning epoch"
    enc1 = [w.copy() for w in first.gan.generator.get_layer("encoder").get_weights()]
    fresh = load_generator(run / "generator_last.keras").get_layer("encoder").get_weights()
    for a, b in zip(enc1, fresh):
        np.testing.assert_array_equal(a, b)
    second = train(cfg, run, splits=splits, epochs=3, verbose=0)
    assert [r["epoch"] for r in second.history] == [1, 2, 3]
    enc2 = second.gan.generator.get_layer("encoder").get_weights()
    assert any(not np.array_equal(enc1[i], enc2[i]) for i in kernels), "resumed: not fine-tuned"


def test_the_encoder_is_fine_tuned_at_its_lower_learning_rate():
    from colorgan_utils.training import optimizers

    cfg = CFG.replace(encoder="mobilenetv2", lr_schedule="constant", encoder_lr_mult=0.1)
    opts = optimizers(cfg, 10)
    lr = float(keras.ops.convert_to_numpy(opts["e_optimizer"].learning_rate))
    assert lr == pytest.approx(cfg.learning_rate * 0.1)
    assert float(keras.ops.convert_to_numpy(opts["g_optimizer"].learning_rate)) == \
        pytest.approx(cfg.learning_rate)
    assert optimizers(CFG, 10)["e_optimizer"] is None  # from scratch: no encoder optimizer


def test_a_run_starts_from_the_generator_file_it_is_given(tmp_path, splits):
    """``init_generator``: a new run's generator starts with that file's weights (an L1
    pretraining, say); the discriminator starts fresh; a file of another architecture is
    refused by name before any epoch."""
    from colorgan_utils.models import build_models

    keras.utils.set_random_seed(3)
    start, _ = build_models(CFG)
    start.set_weights([w + 0.01 for w in start.get_weights()])  # not what a new net draws
    path = tmp_path / "start.keras"
    start.save(path)

    class Capture(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.weights = self.model.generator.get_weights()

    seen = Capture()
    train(CFG.replace(init_generator=str(path)), tmp_path / "run", splits=splits, epochs=1,
          verbose=0, extra_callbacks=[seen])
    for got, want in zip(seen.weights, start.get_weights()):
        np.testing.assert_array_equal(got, want)
    other, _ = build_models(CFG.replace(generator_width=16))
    other.save(tmp_path / "other.keras")
    with pytest.raises(TrainingError, match="other.keras: its architecture does not match"):
        train(CFG.replace(init_generator=str(tmp_path / "other.keras")), tmp_path / "run2",
              splits=splits, epochs=1, verbose=0)
    assert not (tmp_path / "run2" / "history.csv").exists()


def test_train_trains_the_gan_it_is_given(tmp_path, splits):
    """``build_gan``: the seam colour as classes (and research) use instead of rebinding
    ``training``'s names; its GAN is the one trained, its own figures logged. Anything that
    is not a ColorGAN is refused by name before an epoch."""
    from colorgan_utils.colour_classes import ClassColorGAN, gan_builder

    result = train(CFG, tmp_path / "classes", splits=splits, epochs=1, verbose=0,
                   build_gan=gan_builder(None))
    assert isinstance(result.gan, ClassColorGAN)
    assert "g_ce" in result.history[0] and np.isfinite(result.history[0]["g_ce"])
    with pytest.raises(TrainingError, match="not a ColorGAN"):
        train(CFG, tmp_path / "other", splits=splits, epochs=1, verbose=0,
              build_gan=lambda cfg: keras.Sequential())


def test_the_short_preset_starts_from_the_shipped_l1_generator_it_names():
    """``init_generator="shipped:l1"`` is the package's L1-only generator, and the short
    preset's generator has its architecture (the run would refuse it otherwise)."""
    from colorgan_utils import runs
    from colorgan_utils.config import PRESETS
    from colorgan_utils.models import build_models

    assert runs.generator_path("shipped:l1") == runs.PRETRAINED_L1
    assert runs.generator_path("shipped:gan") == runs.PRETRAINED
    assert runs.generator_path("~/g.keras") == Path("~/g.keras").expanduser()
    cfg = PRESETS["short"].replace(encoder_weights=None)
    generator, _ = build_models(cfg)
    shipped = runs.load_generator(runs.generator_path(cfg.init_generator))
    assert [w.shape for w in generator.get_weights()] == [w.shape for w in shipped.get_weights()]
