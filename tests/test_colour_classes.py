import numpy as np
import pytest
import tensorflow as tf

from colorgan_utils import colour_classes as ab_bins


def test_in_gamut_bins_are_on_the_grid_and_hold_a_colour():
    c = ab_bins.in_gamut_bins()
    assert len(c) == 262 and c.shape == (262, 2)
    assert np.all(np.mod(c, 10) == 0)
    assert [0.0, 0.0] in c.tolist()  # gray is a colour
    assert [110.0, -110.0] not in c.tolist()  # no sRGB colour sits there
    # every bin holds an sRGB colour at some lightness (near its centre)
    lum = np.arange(1, 100, 1.0)
    for a, b in c[::17]:
        grid = np.stack(np.meshgrid(np.linspace(a - 5, a + 5, 5), np.linspace(b - 5, b + 5, 5)),
                        -1).reshape(-1, 2)
        lab = np.concatenate([np.repeat(lum, len(grid))[:, None], np.tile(grid, (len(lum), 1))],
                             -1)
        lin = ab_bins._lab_to_linear_np(lab)
        assert np.all((lin >= 0) & (lin <= 1), axis=-1).any()


def test_prior_counts_the_nearest_bin_and_sums_to_one():
    c = ab_bins.in_gamut_bins()
    k = int(np.argmin(np.hypot(c[:, 0] - 40, c[:, 1] - 20)))
    ab = np.zeros((3, 4, 4, 2), np.float32)
    ab[0] = np.array([40.0, 20.0]) / 110  # 16 pixels of one colour, 32 gray ones
    prior = ab_bins.color_prior([ab], c, sigma=1e-3)  # no smoothing
    gray = int(np.argmin(np.hypot(*c.T)))
    assert prior.sum() == pytest.approx(1.0)
    assert prior[k] == pytest.approx(1 / 3, abs=1e-4) and prior[gray] == pytest.approx(2 / 3,
                                                                                      abs=1e-4)
    smooth = ab_bins.color_prior([ab], c)
    assert smooth[gray] < prior[gray] and smooth.sum() == pytest.approx(1.0)
    with pytest.raises(ValueError, match="no ab values"):
        ab_bins.color_prior([], c)


def test_rebalancing_favours_rare_colours_with_mean_weight_one():
    prior = np.array([0.7, 0.2, 0.09, 0.01])
    w = ab_bins.rebalancing_weights(prior, mix=0.5)
    assert (prior * w).sum() == pytest.approx(1.0, rel=1e-5)
    assert np.all(np.diff(w) > 0)  # rarer -> heavier
    # the paper's formula: w ~ 1 / ((1 - mix) p + mix / Q)
    raw = 1 / (0.5 * prior + 0.5 / 4)
    np.testing.assert_allclose(w / w[0], raw / raw[0], rtol=1e-5)
    # mix = 1: uniform weights
    np.testing.assert_allclose(ab_bins.rebalancing_weights(prior, 1.0), 1.0, rtol=1e-5)


def test_soft_encode_five_nearest_bins():
    c = ab_bins.in_gamut_bins()
    ab = tf.constant([[[30.0, -20.0]], [[33.0, -24.0]]]) / 110
    target, nearest = ab_bins.soft_encode(ab, c)
    t = target.numpy()
    assert t.shape == (2, 1, len(c))
    np.testing.assert_allclose(t.sum(-1), 1.0, rtol=1e-5)
    assert ((t > 0).sum(-1) == 5).all()
    k = int(np.argmin(np.hypot(c[:, 0] - 30, c[:, 1] + 20)))
    assert nearest.numpy()[0, 0] == k and t[0, 0].argmax() == k
    # on a centre: that bin gets exp(0) against four neighbours at distance 10
    want = 1 / (1 + 4 * np.exp(-100 / 50))
    assert t[0, 0, k] == pytest.approx(want, rel=1e-4)


def test_annealed_mean_sharpens_towards_the_mode():
    c = np.array([[0.0, 0.0], [60.0, 0.0]], np.float32)
    logits = np.log(np.array([[0.6, 0.4]], np.float32))
    mean = ab_bins.AnnealedMean(c, temperature=1.0)(logits).numpy()[0] * 110
    annealed = ab_bins.AnnealedMean(c, temperature=0.38)(logits).numpy()[0] * 110
    np.testing.assert_allclose(mean, [24.0, 0.0], atol=1e-3)  # the plain mean: 0.4 * 60
    p = np.array([0.6, 0.4]) ** (1 / 0.38)
    np.testing.assert_allclose(annealed, [60 * p[1] / p.sum(), 0.0], atol=1e-3)
    assert annealed[0] < mean[0]  # pulled towards the mode (bin 0)


def test_nearest_bin_over_more_than_one_chunk_is_the_brute_force_answer():
    # nearest_bin works through 65,536 values at a time; 70,000 values cross a chunk boundary
    # (a colour prior of the training split is millions of values)
    c = ab_bins.in_gamut_bins()
    rng = np.random.default_rng(0)
    ab = rng.uniform(-100, 100, (70_000, 2)).astype(np.float32)
    want = np.argmin(((ab[:, None, :] - c[None]) ** 2).sum(-1), axis=-1)
    got = ab_bins.nearest_bin(ab.reshape(350, 200, 2), c)
    assert got.shape == (70_000,) and got.dtype.kind == "i"
    np.testing.assert_array_equal(got, want)


def test_lab_to_linear_matches_scikit_image_down_to_the_darkest_colours():
    from skimage import color as skcolor

    rng = np.random.default_rng(0)
    rgb = np.concatenate([rng.random((500, 3)), rng.random((500, 3)) * 0.04])  # half very dark
    lab = skcolor.rgb2lab(rgb[None])[0]
    assert (lab[:, 0] < 8).sum() > 100  # below the knee of the Lab curve (f < 6/29)
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    np.testing.assert_allclose(ab_bins._lab_to_linear_np(lab), linear, atol=2e-4)


def test_prior_counts_every_batch():
    c = ab_bins.in_gamut_bins()
    rng = np.random.default_rng(0)
    a, b = rng.uniform(-0.5, 0.5, (2, 4, 8, 8, 2)).astype(np.float32)
    np.testing.assert_allclose(ab_bins.color_prior([a, b], c),
                               ab_bins.color_prior([np.concatenate([a, b])], c), rtol=1e-6)


def test_the_prior_of_some_photos_is_rebalanced_by_its_weights():
    """``prior_of``: the colour prior of the photos at the head's 1/4 size, and the weights the
    loss uses, ``rebalancing_weights`` of that prior (never the prior itself): a rare colour
    weighs more than a common one."""
    rng = np.random.default_rng(0)
    ab = np.zeros((4, 16, 16, 2), np.float32)
    ab[..., 0] = 0.2  # mostly one reddish colour
    ab[0, :4, :4] = (-0.3, -0.3)  # one 4x4 cell of a green-blue
    out = ab_bins.prior_of([ab, ab + rng.normal(0, 1e-3, ab.shape).astype(np.float32)])
    assert set(out) == {"centres", "prior", "weights"}
    np.testing.assert_allclose(out["weights"], ab_bins.rebalancing_weights(out["prior"]),
                               rtol=1e-6)
    common = ab_bins.nearest_bin(np.array([0.2 * ab_bins.color.AB_SCALE, 0.0]), out["centres"])
    rare = ab_bins.nearest_bin(np.array([-0.3, -0.3]) * ab_bins.color.AB_SCALE, out["centres"])
    assert out["prior"][common[0]] > 10 * out["prior"][rare[0]]
    assert out["weights"][rare[0]] > out["weights"][common[0]]


def test_rebalancing_with_empty_bins_and_no_mix_stays_finite_and_bad_mix_is_refused():
    """Real priors have empty bins: with mix 0 they take the rarest seen bin's weight (here
    1 / 0.1) instead of an infinite one; the prior-weighted mean stays 1. A mix outside [0, 1]
    is refused by name."""
    prior = np.array([0.6, 0.3, 0.1, 0.0])
    w = ab_bins.rebalancing_weights(prior, mix=0.0)
    assert np.isfinite(w).all()
    np.testing.assert_allclose(w / w[0], [1.0, 2.0, 6.0, 6.0], rtol=1e-6)
    assert float((prior * w).sum()) == pytest.approx(1.0)
    for mix in (-0.1, 1.5):
        with pytest.raises(ValueError, match=f"mix={mix}: use a share in"):
            ab_bins.rebalancing_weights(prior, mix=mix)


def test_the_annealing_temperature_must_be_positive():
    layer = ab_bins.AnnealedMean(ab_bins.in_gamut_bins())
    for bad in (0, -0.5, float("nan")):
        with pytest.raises(ValueError, match="temperature="):
            layer.temperature = bad
        with pytest.raises(ValueError, match="temperature="):
            ab_bins.AnnealedMean(ab_bins.in_gamut_bins(), temperature=bad)
    layer.temperature = 0.5
    assert layer.get_config()["temperature"] == 0.5


def test_the_prior_of_photos_too_small_for_a_cell_says_so():
    with pytest.raises(ValueError, match="photos of 3x3 px: the colour prior needs at least 4x4"):
        ab_bins.prior_of([np.zeros((2, 3, 3, 2), np.float32)])


def test_the_prior_is_smoothed_by_a_gaussian_of_sigma_lab_units_known_ratio():
    """All pixels in one bin: the smoothed prior of a bin one grid step (10 Lab units) away is
    exp(-10^2 / (2 sigma^2)) times the bin's own (e^-2 for sigma 5), two steps away e^-8."""
    c = ab_bins.in_gamut_bins()
    k = int(np.argmin(np.hypot(c[:, 0] - 0, c[:, 1] - 0)))
    ab = np.zeros((1, 4, 4, 2), np.float32)  # gray: every pixel in the (0, 0) bin
    prior = ab_bins.color_prior([ab], c, sigma=5.0)
    one = int(np.argmin(np.hypot(c[:, 0] - 10, c[:, 1])))
    two = int(np.argmin(np.hypot(c[:, 0] - 20, c[:, 1])))
    assert prior[one] / prior[k] == pytest.approx(np.exp(-2.0), rel=1e-4)
    assert prior[two] / prior[k] == pytest.approx(np.exp(-8.0), rel=1e-4)


def test_a_bad_grid_or_mismatched_shapes_are_refused_by_name():
    """Not a raw TensorFlow error, not an endless loop: each function names what is wrong."""
    import tensorflow as tf

    for grid in (0.0, -10.0, float("nan"), 500.0):
        with pytest.raises(ValueError, match="in_gamut_bins: grid="):
            ab_bins.in_gamut_bins(grid)
    c = ab_bins.in_gamut_bins()
    with pytest.raises(ValueError, match=r"nearest_bin: ab must be \[\.\.\., 2\]"):
        ab_bins.nearest_bin(np.zeros((4, 3)), c)
    with pytest.raises(ValueError, match=r"bin centres must be \[Q, 2\]"):
        ab_bins.nearest_bin(np.zeros((4, 2)), c[:, :1])
    with pytest.raises(ValueError, match=r"soft_encode: ab must be"):
        ab_bins.soft_encode(np.zeros((2, 4, 4, 3), np.float32), c)
    with pytest.raises(ValueError, match="annealed_mean: 10 bin logits for"):
        ab_bins.annealed_mean(np.zeros((2, 10), np.float32), c / 110, 0.38)
    w = np.ones(len(c), np.float32)
    logits = tf.zeros((1, 4, 4, len(c)))
    with pytest.raises(ValueError, match="logits of 4x4 for ab of 32x32"):
        ab_bins.class_loss(logits, tf.zeros((1, 32, 32, 2)), c, w)
    with pytest.raises(ValueError, match="weights for"):
        ab_bins.class_loss(logits, tf.zeros((1, 16, 16, 2)), c, w[:5])
    assert np.isfinite(float(ab_bins.class_loss(logits, tf.zeros((1, 16, 16, 2)), c, w)))
