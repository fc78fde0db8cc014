import numpy as np
import pytest
import tensorflow as tf
import keras
from PIL import Image
from skimage import color as skcolor

from colorgan_utils import models
from colorgan_utils.color import rgb_to_lab_normalized
from colorgan_utils.colorize import colorize_image
from colorgan_utils.config import get_config

SIZES = [32, 64, 128, 256]


@pytest.mark.parametrize("size", SIZES)
def test_generator_shapes_dtypes_range(size):
    g = models.build_generator(size, width=8)
    x = tf.random.uniform([2, size, size, 1], -1, 1)
    y = g(x, training=False)
    assert y.shape == (2, size, size, 2) and y.dtype == tf.float32
    assert float(tf.reduce_max(tf.abs(y))) <= 1.0
    assert len([ly for ly in g.layers if "_skip" in ly.name]) == models.unet_depth(size) - 1


@pytest.mark.parametrize("size", SIZES)
def test_discriminator_shapes(size):
    d = models.build_discriminator(size, width=8)
    l_in = tf.zeros([2, size, size, 1])
    out = d([l_in, tf.zeros([2, size, size, 2])])
    patches = {32: 6, 64: 6, 128: 14, 256: 30}[size]
    assert out.shape == (2, patches, patches, 1) and out.dtype == tf.float32
    assert models.image_scores(d, l_in, tf.zeros([2, size, size, 2])).shape == (2,)


def test_parameter_counts_are_stable():
    # defaults at 64 px; textbook pix2pix (width 64, x8) for comparison
    assert models.build_generator(64).count_params() == 2_594_946
    assert models.build_discriminator(64).count_params() == 392_665
    assert models.build_generator(64, 64, max_mult=8).count_params() == 29_245_698
    assert models.build_discriminator(256, 64).count_params() == 2_767_425


def test_pix2pix_reference_cost_and_receptive_field():
    g = models.build_generator(64, 64, max_mult=8)
    d = models.build_discriminator(64, 64)
    step = 3 * (models.count_flops(g) + 2 * models.count_flops(d))
    assert 4.0e9 < step < 5.0e9  # the 4.6 GFLOP per 64 px image per training step
    assert models.receptive_field(models.build_discriminator(256, 64))["size"] == 70
    ours = models.build_generator(64)
    assert models.count_flops(ours) < models.count_flops(g) / 4


def test_count_flops_single_conv():
    inp = keras.Input((8, 8, 3))
    out = keras.layers.Conv2D(5, 3, padding="same")(inp)
    assert models.count_flops(keras.Model(inp, out)) == 2 * 8 * 8 * 9 * 3 * 5


def test_receptive_field_matches_gradients():
    d = models.build_discriminator(64, width=4)
    size = 64
    x = tf.Variable(tf.random.uniform([1, size, size, 1]))
    ab = tf.zeros([1, size, size, 2])
    for row, col in [(0, 0), (2, 3), (5, 5)]:
        with tf.GradientTape() as tape:
            out = d([x, ab], training=False)[0, row, col, 0]
        grad = np.abs(tape.gradient(out, x).numpy()[0, ..., 0]) > 0
        ys, xs = np.nonzero(grad)
        top, left, bottom, right = models.patch_box(d, row, col)
        assert ys.min() >= max(top, 0) and ys.max() < min(bottom, size)
        assert xs.min() >= max(left, 0) and xs.max() < min(right, size)
        # the box is tight where it lies inside the image
        if top >= 0:
            assert ys.min() <= top + 1
        if bottom <= size:
            assert ys.max() >= bottom - 2


def test_colorizer_gray_equals_L(real_arrays):
    g = models.build_generator(32, width=8)
    colorizer = models.build_colorizer(g)
    imgs = np.stack([np.asarray(Image.fromarray((a * 255).astype("uint8")).resize((32, 32)))
                     for a in real_arrays[:4]]).astype("float32") / 255.0
    out = colorizer(imgs)
    lum, _ = rgb_to_lab_normalized(imgs)
    np.testing.assert_allclose(out["gray"].numpy(), (lum.numpy() + 1) / 2, atol=1e-6)
    assert out["colorized"].shape == (4, 32, 32, 3)
    got_l = skcolor.rgb2lab(out["colorized"].numpy())[..., 0]
    assert np.abs(got_l - skcolor.rgb2lab(imgs)[..., 0]).max() < 0.5
    assert out["colorized"].numpy().min() >= 0 and out["colorized"].numpy().max() <= 1


def test_colorizer_black_and_white_photo_in_three_equal_channels(real_arrays):
    g = models.build_generator(32, width=8)
    gray3 = np.repeat(skcolor.rgb2gray(real_arrays[0])[:32, :32, None], 3, -1).astype("float32")
    out = models.build_colorizer(g)(gray3[None])
    lum = skcolor.rgb2lab(gray3)[..., 0] / 100
    np.testing.assert_allclose(out["gray"].numpy()[0, ..., 0], lum, atol=1e-4)


@pytest.mark.parametrize("shape", [(37, 53, 3), (101, 64), (64, 90, 1), (50, 41, 4)])
def test_full_resolution_keeps_size_and_lightness(shape):
    rng = np.random.default_rng(1)
    img = (rng.random(shape) * 255).astype(np.uint8)
    g = models.build_generator(32, width=8)
    gray, out = colorize_image(g, img, render_size=64)
    h, w = shape[:2]
    assert gray.shape == (h, w) and out.shape == (h, w, 3)
    rgb = img.astype(np.float64) / 255.0
    rgb = np.repeat(rgb, 3, -1) if rgb.ndim == 2 or rgb.shape[-1] == 1 else rgb[..., :3]
    want = skcolor.rgb2lab(rgb.reshape(h, w, 3))[..., 0]
    got = skcolor.rgb2lab(out)[..., 0]  # 8-bit already
    assert np.abs(got - want).max() < 1.0
    np.testing.assert_allclose(gray * 100, want, atol=0.05)


def test_full_resolution_rejects_bad_shapes():
    g = models.build_generator(32, width=8)
    with pytest.raises(ValueError, match="a photo needs shape"):
        colorize_image(g, np.zeros((10, 10, 2), np.uint8))


@pytest.mark.parametrize("head", ["regression", "classification"])
def test_generator_is_fully_convolutional(head):
    g = models.build_generator(64, width=8)
    if head == "classification":
        from colorgan_utils.colour_classes import class_generator

        g = class_generator(g)
    assert g.input_shape == (None, None, None, 1)
    assert models.training_size(g) == 64 and models.render_multiple(g) == 64
    for h, w in [(64, 64), (128, 192), (192, 64)]:
        assert g(tf.zeros([1, h, w, 1])).shape == (1, h, w, 2)


def test_fixed_depth_is_capped():
    assert [models.unet_depth(s) for s in (32, 64, 128, 256)] == [5, 6, 6, 6]
    assert models.render_multiple(models.build_generator(256, width=4)) == 64


def test_classification_head_decodes_the_annealed_mean():
    from colorgan_utils.colour_classes import STRIDE, class_generator

    g = class_generator(models.build_generator(32, width=8))
    logits = keras.Model(g.inputs, g.get_layer("ab_logits").output)(tf.zeros([1, 32, 32, 1]))
    assert logits.shape[1:3] == (32 // STRIDE,) * 2 == (8, 8)
    decoder = g.get_layer("annealed_mean")
    centres = np.asarray(decoder.centres)
    k = int(np.argmax(np.hypot(*centres.T)))  # the most saturated bin
    one_hot = np.full((1, 1, len(centres)), -30.0, np.float32)
    one_hot[..., k] = 30.0
    np.testing.assert_allclose(decoder(one_hot).numpy()[0, 0] * 110, centres[k], atol=1e-3)
    # equal logits: the mean of all centres, whatever the temperature
    flat = decoder(np.zeros((1, 1, len(centres)), np.float32)).numpy()[0, 0] * 110
    np.testing.assert_allclose(flat, centres.mean(0), atol=1e-3)


def test_keras_round_trip(tmp_path):
    g = models.build_generator(32, width=8)
    c = models.build_colorizer(g)
    x = np.random.default_rng(0).random((2, 32, 32, 3)).astype("float32")
    g.save(tmp_path / "g.keras")
    c.save(tmp_path / "c.keras")
    g2 = keras.models.load_model(tmp_path / "g.keras")
    c2 = keras.models.load_model(tmp_path / "c.keras")
    lum = rgb_to_lab_normalized(x)[0]
    np.testing.assert_array_equal(g(lum).numpy(), g2(lum).numpy())
    for k in ("gray", "colorized"):
        np.testing.assert_array_equal(c(x)[k].numpy(), c2(x)[k].numpy())


def test_build_models_from_config():
    # random encoder weights: the architecture is the question (no weight file needed)
    g, d = models.build_models(get_config("smoke", environ={}).replace(encoder_weights=None))
    assert models.training_size(g) == 32 and d.output_shape[-1] == 1
    assert g.get_layer("encoder") is not None  # smoke builds the pretrained architecture
    g, _ = models.build_models(get_config("smoke", environ={}, encoder="scratch"))
    assert g.get_layer("to_ab") is not None and "encoder" not in {ly.name for ly in g.layers}


def test_bad_size():
    with pytest.raises(ValueError, match="image_size=48"):
        models.build_generator(48)
