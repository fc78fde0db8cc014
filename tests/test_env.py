from pathlib import Path

import pytest

from colorgan_utils import env


def test_not_colab_here():
    assert env.IS_COLAB is False
    with pytest.raises(RuntimeError, match="only inside Google Colab"):
        env.mount_drive()


def test_work_dirs_follow_env(tmp_path, monkeypatch):
    monkeypatch.setenv("COLORGAN_WORK_DIR", str(tmp_path / "w"))
    monkeypatch.delenv("COLORGAN_LOCAL_DIR", raising=False)
    assert env.work_dir() == tmp_path / "w"
    assert env.runs_dir().is_dir() and env.runs_dir().parent == tmp_path / "w"
    assert env.data_cache_dir() == tmp_path / "w" / "downloads"
    assert env.local_data_dir() == tmp_path / "w" / "data"


def test_unwritable_work_dir_is_named(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("COLORGAN_WORK_DIR", str(blocker / "sub"))
    with pytest.raises(OSError, match=str(blocker / "sub")):
        env.work_dir()


def test_hardware_hint_matches_the_devices():
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    assert len(env.gpu_info()) == len(gpus)  # true on a GPU machine too
    if not gpus:
        assert "Change runtime type" in env.describe_hardware()


def test_default_strategy_has_one_replica_per_device():
    import tensorflow as tf

    strategy = env.get_strategy()
    gpus = tf.config.list_physical_devices("GPU")
    assert strategy.num_replicas_in_sync == max(1, len(gpus))
    if len(gpus) <= 1:  # no MirroredStrategy for a single device
        assert not isinstance(strategy, tf.distribute.MirroredStrategy)
