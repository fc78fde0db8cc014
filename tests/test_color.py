import numpy as np
import pytest
import tensorflow as tf
from skimage import color as skcolor

from colorgan_utils import color


def test_rgb_to_lab_matches_skimage_on_real_photos(real_arrays):
    for img in real_arrays:
        ref = skcolor.rgb2lab(img)
        got = color.rgb_to_lab(img.astype(np.float32)).numpy()
        err = np.abs(ref - got).reshape(-1, 3).max(axis=0)
        assert err[0] <= 0.5, err
        assert err[1] <= 1.0 and err[2] <= 1.0, err


def test_lab_to_rgb_matches_skimage(real_arrays):
    for img in real_arrays:
        lab = skcolor.rgb2lab(img)
        assert np.abs(color.lab_to_rgb(lab).numpy() - skcolor.lab2rgb(lab)).max() <= 1 / 255


def test_round_trip_within_one_level(real_arrays):
    for img in real_arrays:
        back = color.lab_to_rgb(color.rgb_to_lab(img.astype(np.float32))).numpy()
        assert np.abs(back - img).max() <= 1 / 255


def test_whole_gamut_and_extremes():
    rng = np.random.default_rng(0)
    rgb = np.concatenate([rng.random((5000, 3)), np.eye(3), np.zeros((1, 3)), np.ones((1, 3))])
    lab = color.rgb_to_lab(rgb.astype(np.float32)).numpy()
    assert np.abs(lab - skcolor.rgb2lab(rgb)).max() <= 0.5
    l_norm, ab_norm = color.normalize_lab(lab)
    assert l_norm.numpy().min() >= -1.0001 and l_norm.numpy().max() <= 1.0001
    assert np.abs(ab_norm.numpy()).max() <= 1.0


def test_batched_shapes_and_normalisation():
    x = tf.random.uniform([2, 3, 5, 7, 3])
    lum, ab = color.rgb_to_lab_normalized(x)
    assert lum.shape == (2, 3, 5, 7, 1) and ab.shape == (2, 3, 5, 7, 2)
    back = color.lab_normalized_to_rgb(lum, ab)
    np.testing.assert_allclose(back.numpy(), x.numpy(), atol=1 / 255)


def test_gray_has_no_chroma():
    lum, _ = color.rgb_to_lab_normalized(tf.random.uniform([4, 4, 3]))
    g = color.gray_rgb(lum).numpy()
    assert np.abs(g[..., 0] - g[..., 1]).max() < 2e-3
    assert np.abs(g[..., 1] - g[..., 2]).max() < 2e-3


def test_rejects_integer_input():
    with pytest.raises(TypeError, match="floats in"):
        color.rgb_to_lab(tf.zeros([2, 2, 3], tf.uint8))


def test_works_in_tf_data_and_keras():
    ds = tf.data.Dataset.from_tensor_slices(tf.random.uniform([4, 8, 8, 3]))
    lum, ab = next(iter(ds.map(color.rgb_to_lab_normalized).batch(4)))
    assert lum.shape == (4, 8, 8, 1)
    import keras

    inp = keras.Input((8, 8, 3))
    out = keras.layers.Lambda(lambda t: color.rgb_to_lab(t))(inp)
    model = keras.Model(inp, out)
    x = np.random.rand(2, 8, 8, 3).astype("float32")
    np.testing.assert_allclose(model.predict(x, verbose=0), skcolor.rgb2lab(x), atol=0.5)


@pytest.mark.parametrize("chroma", [0.0, 40.0, 150.0])
def test_sparse_gamut_map_equals_the_dense_one(chroma):
    """colorize's fast path bisects only the out-of-gamut pixels; the result is the same,
    pixel for pixel, whether none, some or all of them are out of gamut (and keeps L)."""
    rng = np.random.default_rng(1)
    lab = np.stack([rng.uniform(0, 100, (7, 9)), rng.uniform(-1, 1, (7, 9)) * chroma,
                    rng.uniform(-1, 1, (7, 9)) * chroma], -1).astype(np.float32)
    lin = color._lab_to_linear(lab).numpy()
    out = ((lin < -1e-4) | (lin > 1 + 1e-4)).any(-1).mean()
    assert (out == 0) if chroma == 0 else (0 < out < 1) if chroma == 40 else out > 0.8, out
    dense = color.lab_to_rgb_keep_lightness(lab).numpy()
    sparse = color.lab_to_rgb_keep_lightness_sparse(lab).numpy()
    assert sparse.shape == (7, 9, 3)
    np.testing.assert_allclose(sparse, dense, rtol=0, atol=1e-6)
    lightness = color.rgb_to_lab(sparse).numpy()[..., 0]
    assert np.abs(lightness - lab[..., 0]).max() < 0.6
    assert color.lab_to_rgb_keep_lightness_sparse(np.zeros((0, 3), np.float32)).shape == (0, 3)


def test_lightness_alone_equals_the_l_of_the_full_conversion():
    """colorize's lightness-only path (a 256-value table for uint8): the same L as
    rgb_to_lab_normalized, for every 8-bit level on each channel and for floats."""
    levels = np.arange(256, dtype=np.uint8)
    u8 = np.stack(np.meshgrid(levels, levels[::5], levels[::7], indexing="ij"), -1)
    ref = color.rgb_to_lab_normalized(u8.astype(np.float32) / 255.0)[0].numpy()
    got = color.lightness_normalized(u8).numpy()
    assert got.shape == u8.shape[:-1] + (1,)
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-6)
    ends = color.lightness_normalized(np.array([[0, 0, 0], [255, 255, 255]], np.uint8)).numpy()
    np.testing.assert_allclose(ends[:, 0], [-1.0, 1.0], atol=1e-5)
    floats = np.random.default_rng(2).random((9, 11, 3)).astype(np.float32)
    np.testing.assert_allclose(color.lightness_normalized(floats).numpy(),
                               color.rgb_to_lab_normalized(floats)[0].numpy(), rtol=0, atol=1e-6)
    with pytest.raises(TypeError, match="uint8 or floats"):
        color.lightness_normalized(np.zeros((2, 2, 3), np.int32))
