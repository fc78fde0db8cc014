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


def test_hardware_hint_without_gpu():
    assert env.gpu_info() == []
    assert "Change runtime type" in env.describe_hardware()


def test_default_strategy_on_cpu():
    import tensorflow as tf

    strategy = env.get_strategy()
    assert strategy.num_replicas_in_sync == 1
    assert isinstance(strategy, type(tf.distribute.get_strategy()))
    assert isinstance(Path.cwd(), Path)
