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


def test_versions_too_old_are_named():
    assert env.version_tuple("2.16.1") == (2, 16) and env.version_tuple("3.0.0rc1") == (3, 0)
    assert env.check_versions("3.11.4", "2.16.0", "3.0.1") == []
    (only,) = env.check_versions("3.9.18", "2.21.0", "3.15.1")
    assert only == "Python 3.9 is too old: Python 3.10 or newer is needed"
    problems = env.check_versions("3.11.4", "2.15.1", "2.15.0")
    assert [p.split()[0] for p in problems] == ["TensorFlow", "Keras"]
    assert "2.16 or newer" in problems[0] and "3.0 or newer" in problems[1]


def test_the_one_setup_call(tmp_path, monkeypatch, capsys):
    """What each notebook's Setup calls: versions and hardware said, the work folder returned;
    outside Colab nothing is mounted, and asking for Drive says why not."""
    monkeypatch.setenv("COLORGAN_WORK_DIR", str(tmp_path / "w"))
    assert env.setup() == tmp_path / "w" and (tmp_path / "w").is_dir()
    out = capsys.readouterr().out
    assert out.startswith("Python 3.") and "TensorFlow" in out and "Keras 3." in out
    assert f"Work folder: {tmp_path / 'w'}" in out
    env.setup(use_drive=True)
    assert "USE_DRIVE only applies on Colab" in capsys.readouterr().out
    import keras

    monkeypatch.setattr(keras, "__version__", "2.15.0")
    with pytest.raises(RuntimeError, match="Keras 2.15 is too old"):
        env.setup()
