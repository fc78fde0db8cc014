"""The run folder (runs.py): lock, damaged files named, fall back from best to last, nothing
written by a failed start, no silent restart without the backup, epochs counted only when all
their files are written."""

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from colorgan_utils import runs
from colorgan_utils.config import get_config
from colorgan_utils.errors import RunError, TrainingError
from colorgan_utils.training import train

ROOT = Path(__file__).resolve().parents[1]
CFG = get_config("smoke", environ={})


@pytest.fixture(scope="module")
def trained(tmp_path_factory, splits):
    run = tmp_path_factory.mktemp("runs") / "smoke"
    train(CFG, run, splits=splits, epochs=2, verbose=0)
    return run


def _copy(run: Path, tmp_path: Path) -> Path:
    dst = tmp_path / "run"
    shutil.copytree(run, dst)
    return dst


def test_a_second_train_on_the_same_folder_is_refused(tmp_path):
    folder = tmp_path / "run"
    folder.mkdir()
    with runs.lock(folder) as path:
        owner = json.loads(path.read_text())
        assert owner["pid"] == os.getpid()
        with pytest.raises(RunError, match=rf"PID {os.getpid()} on .*delete .*train.lock"):
            with runs.lock(folder):
                pass
    assert not (folder / runs.LOCK).exists()  # released


def test_a_stale_lock_is_taken_over(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()
    import socket

    (tmp_path / runs.LOCK).write_text(json.dumps({"pid": int(dead), "host": socket.gethostname(),
                                                  "since": 0}))
    with pytest.warns(UserWarning, match="stale lock"):
        with runs.lock(tmp_path):
            assert json.loads((tmp_path / runs.LOCK).read_text())["pid"] == os.getpid()


@pytest.mark.parametrize("content", ["", "{\"pid\": 12", "[1, 2]"])
def test_an_empty_or_damaged_lock_is_stale(tmp_path, content):
    """A kill while a lock was being written leaves it empty or cut short: that is a stale
    lock, taken over with a warning, not a "PID -1 since 1970" owner that blocks the folder."""
    (tmp_path / runs.LOCK).write_text(content)
    assert runs.check_unlocked(tmp_path) == -1
    with pytest.warns(UserWarning, match="stale lock of PID -1"):
        with runs.lock(tmp_path):
            assert json.loads((tmp_path / runs.LOCK).read_text())["pid"] == os.getpid()
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no guard or temporary file left


_RACE = """
import json, pathlib, sys, time
from colorgan_utils import runs
unlink = pathlib.Path.unlink
def slow_unlink(self, *args, **kwargs):  # widen the window between reading and removing
    if self.name == runs.LOCK:
        time.sleep(0.3)
    return unlink(self, *args, **kwargs)
pathlib.Path.unlink = slow_unlink
from colorgan_utils.errors import RunError
folder, start = sys.argv[1], float(sys.argv[2])
while time.time() < start:
    pass
try:
    with runs.lock(folder):
        print("owner", flush=True)
        time.sleep(1.5)  # hold it while the others try
except RunError:
    print("refused", flush=True)
"""


def test_only_one_of_several_trains_takes_over_a_stale_lock(tmp_path):
    """Six processes find the same stale lock at the same moment: exactly one takes it over,
    the others are refused (reading, removing and re-creating it without a guard let two own
    the folder)."""
    import socket
    import time

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()
    (tmp_path / runs.LOCK).write_text(json.dumps({"pid": int(dead), "host": socket.gethostname(),
                                                  "since": 0}))
    start = time.time() + 3.0  # every process imported and waiting by then
    procs = [subprocess.Popen([sys.executable, "-W", "ignore", "-c", _RACE, str(tmp_path),
                               str(start)], stdout=subprocess.PIPE, text=True, cwd=ROOT)
             for _ in range(6)]
    outcomes = sorted(p.communicate(timeout=60)[0].strip() for p in procs)
    assert outcomes == ["owner"] + ["refused"] * 5


def test_cli_refuses_a_locked_run_in_one_line(tmp_path):
    (tmp_path / "run").mkdir()
    with runs.lock(tmp_path / "run"):
        res = subprocess.run([sys.executable, "-m", "colorgan_utils", "train", "--out",
                              str(tmp_path / "run"), "--data", str(tmp_path), "--preset",
                              "smoke"], capture_output=True, text=True, cwd=ROOT,
                             env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert res.returncode == 2
    assert res.stderr.strip().startswith("error:") and "being trained by PID" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1


def test_a_failed_start_writes_no_config(tmp_path, splits):
    run = tmp_path / "run"
    with pytest.raises(TrainingError, match="no training photos"):
        train(CFG, run, splits={"train": [], "val": [], "test": []}, verbose=0)
    assert not (run / runs.CONFIG).exists()
    with pytest.raises(TrainingError, match="epochs=0"):
        train(CFG, run, splits=splits, epochs=0, verbose=0)
    assert not (run / runs.CONFIG).exists() and not (run / runs.LOCK).exists()


def test_damaged_best_generator_falls_back_to_last(trained, tmp_path, capsys):
    run = _copy(trained, tmp_path)
    best = runs.model_file(run, "generator", "best")
    best.write_bytes(best.read_bytes()[:1000])  # truncated
    generator, discriminator = runs.load_run(run)
    out = capsys.readouterr().out
    assert "generator_best.keras is not a readable generator file" in out
    assert generator is not None and discriminator is not None
    # which files were measured is said, and the pair is of the same epoch (both "last")
    last_g, last_d = (runs.model_file(run, n, "last") for n in ("generator", "discriminator"))
    assert (generator.source_file, discriminator.source_file) == (str(last_g), str(last_d))
    assert f"generator: {last_g}; discriminator: {last_d}" in out
    runs.model_file(run, "generator", "last").write_bytes(b"junk")
    with pytest.raises(RunError, match="no usable generator"):
        runs.load_run(run)


def test_a_discriminator_file_is_not_a_generator(trained):
    with pytest.raises(RunError, match="is not a generator"):
        runs.load_generator(runs.model_file(trained, "discriminator", "last"))


def test_damaged_json_is_named(trained, tmp_path):
    run = _copy(trained, tmp_path)
    (run / runs.STATE).write_text('{"epochs_done": 2, "fin')
    with pytest.raises(RunError, match=r"state.json is damaged"):
        runs.run_status(run)


def test_deleted_backup_weights_are_not_a_silent_restart(trained, tmp_path, splits):
    run = _copy(trained, tmp_path)
    (run / runs.BACKUP / "latest.weights.h5").unlink()
    (run / runs.BACKUP / "latest.weights.h5.bkp").unlink()  # the one before, gone too
    (run / runs.STATE).unlink()
    with pytest.raises(TrainingError, match="backup weights .* are gone"):
        train(CFG, run, splits=splits, epochs=3, verbose=0)


def test_interrupted_after_an_epoch_wrote_its_files_resumes_without_gaps(tmp_path, splits):
    """Killed after epoch 2 wrote its history row, models and grid but before its backup: the
    run resumes at epoch 2 (redone), history reads 1, 2, 3 and every epoch has its grid."""
    import keras

    class Interrupt(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                raise KeyboardInterrupt

    run = tmp_path / "run"
    with pytest.raises(KeyboardInterrupt):
        train(CFG, run, splits=splits, epochs=3, verbose=0, extra_callbacks=[Interrupt()])
    meta = json.loads((run / runs.BACKUP / "training_metadata.json").read_text())
    assert meta["epoch"] == 1 and not (run / runs.LOCK).exists()
    result = train(CFG, run, splits=splits, epochs=3, verbose=0)
    assert [r["epoch"] for r in result.history] == [1, 2, 3]
    assert len(list((run / runs.SAMPLES).glob("epoch_*.png"))) == 3
    assert runs.run_status(run)["finished"]


def test_a_run_pairs_the_generator_with_the_discriminator_of_the_same_epoch(trained, tmp_path):
    """Best generator -> best discriminator; when the best generator is unusable, the last
    generator comes with the last discriminator (never one epoch's with another's)."""
    import numpy as np

    run = _copy(trained, tmp_path)
    best = runs._load_keras(run / "discriminator_best.keras")
    best_d = best.get_weights()
    best.set_weights([w + 0.5 for w in best_d])  # another epoch's discriminator
    best.save(run / "discriminator_last.keras")
    last_d = runs._load_keras(run / "discriminator_last.keras").get_weights()
    _, disc = runs.load_run(run, verbose=False)
    for a, b in zip(disc.get_weights(), best_d):
        np.testing.assert_array_equal(a, b)
    (run / "generator_best.keras").write_bytes(b"damaged")
    _, disc = runs.load_run(run, verbose=False)
    for a, b in zip(disc.get_weights(), last_d):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("damage", ["truncated weights", "h5py RuntimeError", "deleted weights",
                                    "empty metadata"])
def test_a_damaged_last_backup_resumes_from_the_one_before(trained, tmp_path, splits, capsys,
                                                           damage, monkeypatch):
    """A kill -9 during the last writes of a backup save (h5py then raises RuntimeError, not
    OSError) or during the metadata's write: the intact .bkp pair is used, not a traceback and
    not "the backup weights are gone", and the user is told which epoch is trained again."""
    run = _copy(trained, tmp_path)
    backup = run / "backup"
    assert (backup / "latest.weights.h5.bkp").is_file()
    if damage == "truncated weights":
        data = (backup / "latest.weights.h5").read_bytes()
        (backup / "latest.weights.h5").write_bytes(data[: len(data) // 2])
    elif damage == "deleted weights":
        (backup / "latest.weights.h5").unlink()
    elif damage == "h5py RuntimeError":  # what a kill during the last writes of a save gave
        import keras

        real, calls = keras.Model.load_weights, []

        def load_weights(self, path, *args, **kwargs):
            calls.append(path)
            if len(calls) == 1:
                raise RuntimeError("Unable to synchronously open object (bad object header)")
            return real(self, path, *args, **kwargs)

        monkeypatch.setattr(keras.Model, "load_weights", load_weights)
    else:
        (backup / "training_metadata.json").write_text("")
    result = train(CFG, run, splits=splits, epochs=3, verbose=0)
    assert [r["epoch"] for r in result.history] == [1, 2, 3]
    said = capsys.readouterr().out  # every kind of damage is said, with the epoch redone
    assert "resumed from the one saved before it: epoch 2 is trained again" in said
    # not a silent restart from random weights: the resumed run is close to where it was
    assert result.history[2]["val_g_l1"] < 2 * result.history[1]["val_g_l1"]


# ------------------------------------------------------------------ history and best.json


def test_a_damaged_history_is_named_with_its_line(tmp_path):
    path = tmp_path / runs.HISTORY
    path.write_text("name,score\nfoo,1\n")  # a foreign CSV
    with pytest.raises(RunError, match=rf"{path} is not a ColorGAN history .*'epoch'"):
        runs.read_history(path)
    path.write_text("epoch,g_l1\n1,0.5\n2,abc\n")
    with pytest.raises(RunError, match=rf"{path}, line 3: not a number"):
        runs.read_history(path)
    path.write_bytes(b"epoch,g_l1\n1,0.5\n\xff\xfe\n")
    with pytest.raises(RunError, match=rf"{path} is not a text file"):
        runs.read_history(path)
    path.write_text("")
    assert runs.read_history(path) == []


def test_a_history_row_cut_short_is_left_out_with_a_warning(tmp_path):
    """A copy killed half way leaves a last line with fewer fields: said, and left out, not
    kept as a row with missing values."""
    path = tmp_path / runs.HISTORY
    path.write_text("epoch,g_l1,val_g_l1\n1,0.5,0.6\n2,0.4,0.5\n3,0.3")
    with pytest.warns(UserWarning, match=r"line 4 is cut short"):
        rows = runs.read_history(path)
    assert rows == [{"epoch": 1, "g_l1": 0.5, "val_g_l1": 0.6},
                    {"epoch": 2, "g_l1": 0.4, "val_g_l1": 0.5}]
    # an empty value written on purpose (a column an earlier epoch did not have) is not damage
    path.write_text("epoch,g_l1,g_adv\n1,0.5,\n2,0.4,0.7\n")
    assert runs.read_history(path)[0] == {"epoch": 1, "g_l1": 0.5}


@pytest.mark.parametrize("content", ["{", "[]", "{\"epoch\": 2}"])
def test_a_damaged_best_json_is_named_when_training_resumes(tmp_path, content):
    from colorgan_utils.callbacks import GeneratorCheckpoint

    (tmp_path / runs.BEST).write_text(content)
    with pytest.raises(RunError, match=rf"{tmp_path / runs.BEST} is damaged"):
        GeneratorCheckpoint(tmp_path).on_train_begin()


def test_a_backup_beyond_the_history_finishes_the_run(trained, tmp_path, splits):
    """The history lost its last row but the backup holds both epochs: the run is finished
    (nothing is left to train), not restarted for ever."""
    run = _copy(trained, tmp_path)
    (run / runs.STATE).unlink()
    lines = (run / runs.HISTORY).read_text().splitlines()
    (run / runs.HISTORY).write_text("\n".join(lines[:2]) + "\n")  # header + epoch 1
    result = train(CFG, run, splits=splits, epochs=2, verbose=0)
    assert json.loads((run / runs.STATE).read_text()) == {"epochs_done": 2, "epochs": 2,
                                                          "finished": True}
    again = train(CFG, run, splits=splits, epochs=2, verbose=0)
    assert again.already_finished and result.epochs == 2


def test_a_history_row_appears_only_after_its_backup():
    """The epoch's row waits in history.pending.json until the backup is written; a start that
    finds a pending row of a backed-up epoch commits it, one of an epoch not backed up drops it
    (that epoch is redone)."""
    import tempfile

    import keras

    from colorgan_utils.callbacks import BackupCommit, HistoryCSV

    class Backup:
        def __init__(self):
            self.saved = []

        def commit(self, epoch, logs=None):
            self.saved.append(epoch)
            assert not (folder / runs.HISTORY).is_file() or all(
                r["epoch"] <= epoch for r in runs.read_history(folder / runs.HISTORY))

    class Model:
        adversarial_weight = keras.Variable(1.0)
        diverged = None
        _initial_epoch = 0

    folder = Path(tempfile.mkdtemp())
    history, backup = HistoryCSV(folder / runs.HISTORY), Backup()
    commit = BackupCommit(backup, history)
    for cb in (history, commit):
        cb.set_model(Model())
    history.on_train_begin()
    history.on_epoch_end(0, {"g_l1": 0.5})
    assert not (folder / runs.HISTORY).exists()  # written, not yet visible
    assert json.loads((folder / "history.pending.json").read_text())["epoch"] == 1
    commit.on_epoch_end(0)
    assert [r["epoch"] for r in runs.read_history(folder / runs.HISTORY)] == [1]
    assert not (folder / "history.pending.json").exists() and backup.saved == [0]
    # killed after epoch 2's backup, before its commit: the next start commits the row
    history.on_epoch_end(1, {"g_l1": 0.4})
    resumed = HistoryCSV(folder / runs.HISTORY)
    model = Model()
    model._initial_epoch = 2
    resumed.set_model(model)
    resumed.on_train_begin()
    assert [r["epoch"] for r in runs.read_history(folder / runs.HISTORY)] == [1, 2]
    # killed before epoch 3's backup: its pending row is dropped, the epoch is redone
    resumed.on_epoch_end(2, {"g_l1": 0.3})
    again = HistoryCSV(folder / runs.HISTORY)
    again.set_model(model)  # the backup still says 2 epochs
    again.on_train_begin()
    assert [r["epoch"] for r in runs.read_history(folder / runs.HISTORY)] == [1, 2]
    assert not (folder / "history.pending.json").exists()


@pytest.mark.parametrize("meta", [None, "", "{\"epo"])
def test_a_kill_during_the_first_backup_starts_over(tmp_path, splits, capsys, meta):
    """Weights half written and no metadata yet (or metadata cut short), nothing to fall back
    to: no epoch was committed, so the run starts from epoch 1 instead of refusing to resume."""
    run = tmp_path / "run"
    (run / runs.BACKUP).mkdir(parents=True)
    (run / runs.BACKUP / "latest.weights.h5").write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 100)
    if meta is not None:
        (run / runs.BACKUP / "training_metadata.json").write_text(meta)
    result = train(CFG, run, splits=splits, epochs=1, verbose=0)
    assert [r["epoch"] for r in result.history] == [1]
    assert "the first backup" in capsys.readouterr().out


_TRAIN = """
import sys
import textwrap
from colorgan_utils.config import get_config
from colorgan_utils.training import train
train(get_config("smoke", environ={}, data_dir=sys.argv[2]), sys.argv[1], epochs=4, verbose=0)
"""


def test_kills_at_epoch_ends_never_show_a_row_that_is_then_rewritten(tmp_path, data_dir):
    """kill -9 again and again, each time at a random moment of an epoch's end (from the
    first model file it writes to its backup), then resume: every history row, once visible,
    stays exactly as it was, and the run still ends with epochs 1-4 once each."""
    import random
    import signal
    import time

    run = tmp_path / "run"
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "COLORGAN_WORK_DIR": str(tmp_path / "w")}
    seen: dict[int, dict] = {}
    rng = random.Random(0)
    kills = 0

    def check_rows() -> list[int]:
        rows = runs.read_history(run / runs.HISTORY)
        for row in rows:
            assert seen.setdefault(row["epoch"], row) == row, f"epoch {row['epoch']} rewritten"
        return [r["epoch"] for r in rows]

    for attempt in range(12):
        proc = subprocess.Popen([sys.executable, "-W", "ignore", "-c", _TRAIN, str(run),
                                 str(data_dir)], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True)
        model = run / "generator_last.keras"
        before = model.stat().st_mtime_ns if model.exists() else 0
        deadline = None
        while proc.poll() is None:
            if deadline is None and model.exists() and model.stat().st_mtime_ns != before:
                deadline = time.monotonic() + rng.uniform(0.0, 1.5)  # inside the epoch's end
            if kills < 5 and deadline is not None and time.monotonic() >= deadline:
                proc.send_signal(signal.SIGKILL)
                kills += 1
                break
            time.sleep(0.01)
        err = proc.communicate()[1]
        check_rows()
        if proc.returncode == 0:
            break
        assert proc.returncode == -signal.SIGKILL, err[-2000:]
    assert kills == 5
    assert check_rows() == [1, 2, 3, 4]
    assert json.loads((run / runs.STATE).read_text())["finished"]


@pytest.mark.parametrize("victim", ["generator_last.keras", "history.pending.json",
                                    "latest.weights.h5", "epoch_001.png"])
def test_a_full_disk_names_the_file_that_could_not_be_written(tmp_path, splits, monkeypatch,
                                                              victim):
    """"No space left on device" from a write() names no file: each writer of the run folder
    says which file it could not write, in one line."""
    import builtins
    import errno
    import io

    real_open, real_replace = builtins.open, os.replace

    def full(path):
        return Path(str(path)).name.startswith(Path(victim).stem)

    def open_full(file, mode="r", *args, **kwargs):
        if "w" in mode and isinstance(file, (str, os.PathLike)) and full(file):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_open(file, mode, *args, **kwargs)

    def replace_full(src, dst):
        if full(dst):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_replace(src, dst)

    def save_weights_full(self, path=None, *args, **kwargs):  # h5py writes below open()
        path = path if path is not None else kwargs.pop("filepath")
        if full(path):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_save_weights(self, path, *args, **kwargs)

    import keras

    real_save_weights = keras.Model.save_weights
    monkeypatch.setattr(builtins, "open", open_full)
    monkeypatch.setattr(io, "open", open_full)
    monkeypatch.setattr(os, "replace", replace_full)
    monkeypatch.setattr(keras.Model, "save_weights", save_weights_full)
    with pytest.raises(RunError, match=rf"cannot write \S*{Path(victim).stem}\S*: No space left"):
        train(CFG, tmp_path / "run", splits=splits, epochs=1, verbose=0)


def test_loading_a_generator_imports_colour_as_classes_only_when_its_file_names_it(tmp_path):
    """The whiteboard: the opt-in colour-as-classes module (and through it the GAN) is not
    imported to load an ordinary generator; a file whose architecture names AnnealedMean
    still loads, in a fresh process."""
    code = textwrap.dedent("""
        import sys
        from colorgan_utils.runs import PRETRAINED, load_generator
        g = load_generator(PRETRAINED)
        assert g.output_shape[-1] == 2
        print(sorted(m for m in sys.modules if m.startswith("colorgan_utils.")))
    """)
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert res.returncode == 0, res.stderr[-2000:]
    loaded = res.stdout.strip().splitlines()[-1]
    assert "colorgan_utils.colour_classes" not in loaded and "colorgan_utils.gan" not in loaded
    from colorgan_utils import runs

    assert not runs._names_annealed_mean(runs.PRETRAINED)
    broken = tmp_path / "broken.keras"
    broken.write_bytes(b"not a zip")
    assert not runs._names_annealed_mean(broken)  # loading it names the damage instead


def test_the_cli_module_imports_no_network_code():
    """``cli.py`` parses and dispatches; building networks belongs to the command modules."""
    import ast

    tree = ast.parse((ROOT / "colorgan_utils" / "cli.py").read_text())
    names = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    names |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    banned = {"colorgan_utils.models", "colorgan_utils.gan", "colorgan_utils.encoder",
              "colorgan_utils.colour_classes", "keras", "tensorflow"}
    assert not names & banned, names & banned
