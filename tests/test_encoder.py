"""The ImageNet-pretrained encoder: its weight file (cache, download, hash, offline error), that
the loaded features are the file's, and the generator built on it."""

from __future__ import annotations

import shutil
import socket
from pathlib import Path

import h5py
import keras
import numpy as np
import pytest

from colorgan_utils import encoder, models, runs
from colorgan_utils.errors import EncoderWeightsError

SHARED = Path(__file__).resolve().parents[2] / "shared" / "weights"
FILE = encoder.WEIGHTS[0.35][0]
needs_file = pytest.mark.skipif(not (SHARED / FILE).is_file(),
                                reason=f"needs the official {FILE} in {SHARED}")


@pytest.fixture()
def no_network(monkeypatch):
    """Any attempt to open a connection fails (and is counted)."""
    calls = []

    def refuse(*args, **kwargs):
        calls.append(args)
        raise OSError("network blocked by the test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    return calls


@pytest.fixture()
def empty_cache(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    return tmp_path / "keras" / "models"


@needs_file
def test_a_cached_file_is_used_without_any_network_call(empty_cache, no_network):
    empty_cache.mkdir(parents=True)
    shutil.copyfile(SHARED / FILE, empty_cache / FILE)
    assert encoder.weights_file(0.35) == empty_cache / FILE
    assert no_network == []


def test_offline_without_the_file_one_clear_line(empty_cache, no_network):
    with pytest.raises(EncoderWeightsError) as err:
        encoder.weights_file(0.35)
    msg = str(err.value)
    assert "\n" not in msg
    assert FILE in msg and str(empty_cache) in msg and encoder.ORIGIN + FILE in msg
    assert no_network, "it did try the official address"
    assert not (empty_cache / FILE).exists()


@needs_file
def test_the_download_path_fetches_and_checks_the_official_hash(empty_cache, no_network):
    # a file:// origin stands in for the official address: same get_file code, no network
    path = encoder.weights_file(0.35, origin=(SHARED / FILE).as_uri())
    assert path == empty_cache / FILE
    assert encoder.sha256(path) == encoder.WEIGHTS[0.35][1]


@needs_file
def test_a_download_with_the_wrong_hash_is_refused_and_not_kept(empty_cache, tmp_path):
    bad = tmp_path / FILE
    data = bytearray((SHARED / FILE).read_bytes())
    data[-100] ^= 0xFF
    bad.write_bytes(bytes(data))
    with pytest.raises(EncoderWeightsError, match=FILE):
        encoder.weights_file(0.35, origin=bad.as_uri())
    assert not (empty_cache / FILE).exists()


def test_a_wrong_cached_file_is_refused_by_name_and_left_alone(empty_cache, no_network):
    empty_cache.mkdir(parents=True)
    (empty_cache / FILE).write_bytes(b"not the weights")
    with pytest.raises(EncoderWeightsError, match="sha256 differs") as err:
        encoder.weights_file(0.35)
    assert str(empty_cache / FILE) in str(err.value)
    assert (empty_cache / FILE).read_bytes() == b"not the weights"
    assert no_network == []


def test_an_unknown_alpha_is_refused():
    with pytest.raises(EncoderWeightsError, match="encoder_alpha=0.75"):
        encoder.weights_file(0.75)


@needs_file
def test_the_loaded_features_are_the_files():
    """Known answer: the first convolution of the loaded encoder computes, on a fixed input,
    what the file's own kernel computes with numpy (random or other weights cannot)."""
    enc = encoder.build_encoder(0.35, SHARED / FILE)
    with h5py.File(SHARED / FILE) as f:
        kernel = f["Conv1"]["Conv1"]["kernel:0"][()]
    np.testing.assert_array_equal(enc.get_layer("Conv1").get_weights()[0], kernel)
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (1, 32, 32, 3)).astype(np.float32)
    conv = keras.Model(enc.input, enc.get_layer("Conv1").output)
    got = np.asarray(conv(x))
    padded = np.pad(x[0], ((0, 1), (0, 1), (0, 0)))  # MobileNetV2 pads (0, 1) before Conv1
    want = np.zeros(got.shape[1:], np.float32)
    for i in range(want.shape[0]):
        for j in range(want.shape[1]):
            patch = padded[2 * i:2 * i + 3, 2 * j:2 * j + 3]
            want[i, j] = np.tensordot(patch, kernel, axes=3)
    np.testing.assert_allclose(got[0], want, atol=1e-4)
    # and deep in the net: ImageNet features of a photo-like input are not those of a random net
    deep_file = np.asarray(enc(x)[-1])
    deep_rand = np.asarray(encoder.build_encoder(0.35, None)(x)[-1])
    assert not np.allclose(deep_file, deep_rand, atol=1e-3)


def test_a_file_of_another_alpha_is_refused_by_name(tmp_path):
    other = SHARED / encoder.WEIGHTS[0.5][0]
    if not other.is_file():
        pytest.skip(f"needs {other}")
    with pytest.raises(EncoderWeightsError, match=str(other)):
        encoder.build_encoder(0.35, other)


def test_the_pretrained_generator_is_fully_convolutional():
    gen = models.build_pretrained_generator(64, 0.35, weights=None, width=8)
    assert models.render_multiple(gen) == 32
    assert models.training_size(gen) == 64
    out = np.asarray(gen(np.zeros((2, 64, 96, 1), np.float32)))
    assert out.shape == (2, 64, 96, 2) and np.all(np.abs(out) <= 1)
    enc = gen.get_layer("encoder")
    assert [o.shape[-1] for o in enc.outputs] == [48, 48, 96, 192, 112]
    assert models.count_flops(gen, 64) > models.count_flops(gen, 32) > 0


@needs_file
def test_a_saved_generator_reloads_without_the_encoder_file(tmp_path, empty_cache, no_network):
    gen = models.build_pretrained_generator(64, 0.35, weights=SHARED / FILE, width=8)
    runs.save_compact(gen, tmp_path / "g.npz")
    gen.save(tmp_path / "g.keras")
    x = np.random.default_rng(1).uniform(-1, 1, (2, 64, 64, 1)).astype(np.float32)
    from colorgan_utils.runs import load_generator

    for path in ("g.npz", "g.keras"):
        back = load_generator(tmp_path / path)
        atol = 2e-2 if path.endswith(".npz") else 1e-6  # float16 weights in .npz
        np.testing.assert_allclose(np.asarray(back(x)), np.asarray(gen(x)), atol=atol)
    assert no_network == [] and not empty_cache.exists()
