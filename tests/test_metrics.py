import numpy as np
import pytest

from colorgan_utils import metrics


@pytest.fixture()
def photos(real_arrays):
    return np.stack([a[:32, :32] for a in real_arrays[:4]])


def test_identical_images(photos):
    assert metrics.psnr(photos, photos) == np.inf
    assert metrics.ssim(photos, photos) == pytest.approx(1.0)
    assert metrics.ciede2000(photos, photos) == pytest.approx(0.0, abs=1e-9)


def test_worse_images_score_worse(photos):
    noisy = np.clip(photos + np.random.default_rng(0).normal(0, 0.1, photos.shape), 0, 1)
    assert 10 < metrics.psnr(photos, noisy) < 30
    assert metrics.ssim(photos, noisy) < 0.9
    assert metrics.ciede2000(photos, noisy) > 1.0


def test_psnr_known_value():
    a = np.zeros((1, 8, 8, 3))
    b = np.full((1, 8, 8, 3), 0.1)  # MSE 0.01 -> 20 dB
    assert metrics.psnr(a, b) == pytest.approx(20.0)


def test_colorfulness_of_gray_is_zero_and_colour_is_not(photos):
    gray = np.repeat(photos.mean(-1, keepdims=True), 3, -1)
    assert metrics.colorfulness(gray) == pytest.approx(0.0, abs=1e-9)
    assert metrics.colorfulness(photos) > 5
    red = np.zeros((1, 4, 4, 3))
    red[..., 0] = 1.0  # rg = 255, yb = 127.5, no spread: M = 0.3 * sqrt(255^2 + 127.5^2)
    assert metrics.colorfulness(red) == pytest.approx(0.3 * np.hypot(255, 127.5))


def test_quality_table_keys(photos):
    t = metrics.quality_table(photos, {"model": photos, "gray": photos * 0.9})
    assert set(t) == {"model", "gray", "real"}
    assert set(t["model"]) == {"psnr", "ssim", "ciede2000", "colorfulness"}


def test_colorfulness_known_answer_with_spread():
    """Hasler & Süsstrunk on a two-colour image: rg and yb spread and mean, by hand."""
    img = np.zeros((1, 2, 2, 3))
    img[0, 0, :, 0] = 1.0  # top row red (255, 0, 0): rg = 255, yb = 127.5
    img[0, 1, :, 1] = 1.0  # bottom row green (0, 255, 0): rg = -255, yb = 127.5
    rg, yb = np.array([255, 255, -255, -255.0]), np.full(4, 127.5)
    want = np.hypot(rg.std(), yb.std()) + 0.3 * np.hypot(rg.mean(), yb.mean())
    assert metrics.colorfulness(img) == pytest.approx(want)  # = 255: spread only
    blue = np.zeros((1, 2, 2, 3))
    blue[..., 2] = 1.0  # rg = 0, yb = -255
    assert metrics.colorfulness(blue) == pytest.approx(0.3 * 255)
    # per image, then averaged over the batch
    both = np.concatenate([img, blue])
    assert metrics.colorfulness(both) == pytest.approx((want + 0.3 * 255) / 2)


def test_ssim_and_ciede2000_known_answers(photos):
    from skimage.color import deltaE_ciede2000, rgb2lab
    from skimage.metrics import structural_similarity

    dim = photos * 0.8
    want = np.mean([structural_similarity(a, b, data_range=1.0, channel_axis=-1)
                    for a, b in zip(photos, dim)])
    assert metrics.ssim(photos, dim) == pytest.approx(want)
    assert metrics.ciede2000(photos, dim) == pytest.approx(
        np.mean(deltaE_ciede2000(rgb2lab(photos), rgb2lab(dim))))
    # PSNR uses data_range 1 (not the float dtype's 2): MSE 0.01 -> 20 dB, per image
    a, b = np.zeros((2, 4, 4, 3)), np.full((2, 4, 4, 3), 0.1)
    b[1] = 0.01  # MSE 1e-4 -> 40 dB
    assert metrics.psnr(a, b) == pytest.approx(30.0)


def test_quality_table_real_row(photos):
    t = metrics.quality_table(photos, {"model": photos * 0.9})
    assert t["real"] == {"colorfulness": pytest.approx(metrics.colorfulness(photos))}
    assert t["model"]["psnr"] == pytest.approx(metrics.psnr(photos, photos * 0.9))


def test_colorfulness_yb_spread_single_image_and_per_image_means():
    img = np.zeros((4, 4, 3))  # one image, no batch axis
    img[:2] = [1.0, 1.0, 0.0]  # yellow: rg = 0, yb = 255
    img[2:] = [0.0, 0.0, 1.0]  # blue: rg = 0, yb = -255
    yb = np.array([255.0] * 8 + [-255.0] * 8)
    assert metrics.colorfulness(img) == pytest.approx(yb.std())  # spread only: 255
    assert metrics.colorfulness(img[None]) == pytest.approx(metrics.colorfulness(img))
    red, blue = np.zeros((1, 2, 2, 3)), np.zeros((1, 2, 2, 3))
    red[..., 0], blue[..., 2] = 1.0, 1.0
    # each image's own mean colour, not the batch's: (0.3 |red| + 0.3 |blue|) / 2
    want = 0.3 * (np.hypot(255, 127.5) + 255) / 2
    assert metrics.colorfulness(np.concatenate([red, blue])) == pytest.approx(want)


def test_painted_share_counts_only_colour_well_above_the_real_photo():
    """Known answer: a gray photo with a saturated blotch covering 6 of 100 pixels, a pale
    colorization everywhere else. Chroma of pure blue in Lab is ~134; of the pale tint, ~5."""
    real = np.full((10, 10, 3), 0.5)
    real[0, :3] = [0.8, 0.3, 0.3]  # real colour: painting it again is not "painted"
    test = real.copy()
    test[..., 0] += 0.02  # a faint tint everywhere: chroma a few units, far under the margin
    test[5:7, 2:5] = [0.1, 0.1, 0.9]  # the blotch, 6 pixels
    test[0, :3] = [0.9, 0.2, 0.2]  # more saturated than the truth, but by less than 30
    assert metrics.painted_share(real, test) == pytest.approx(0.06)
    assert metrics.painted_share(real, real) == 0.0
    assert metrics.painted_share(test, real) == 0.0  # paler than the reference: never painted
    lab_blue = metrics.chroma(np.array([[[0.0, 0.0, 1.0]]]))[0, 0]
    assert lab_blue == pytest.approx(133.8, abs=0.2)
    # the margin decides: the blotch's chroma is ~100 above gray's 0
    assert metrics.painted_share(real, test, margin=200.0) == 0.0
    with pytest.raises(ValueError, match="shapes differ"):
        metrics.painted_share(real, test[:5])


def _lab_image(rows):
    """An RGB image whose rows are the given (L, a, b) colours, 4 pixels each."""
    from skimage.color import lab2rgb

    lab = np.array([[c] * 4 for c in rows], np.float64)
    return lab2rgb(lab)


def test_hue_agreement_known_answers():
    from colorgan_utils.metrics import hue_agreement

    real = _lab_image([(55, 45, 35), (55, -45, 25), (55, 0, -45), (55, 3, 3)])  # orange,
    # green, blue, and a nearly gray row that is not "clearly coloured"
    same = hue_agreement(real, real)
    assert same["all"] == 1.0 and same["red_orange"] == same["green"] == same["blue"] == 1.0
    assert same["pixels"] == {"all": 12, "red_orange": 4, "green": 4, "blue": 4}
    # blue painted brown, green too pale (chroma 5 < 8), orange shifted by 30 degrees: kept
    test = _lab_image([(55, 25, 52), (55, -4, 3), (55, 20, 25), (55, 3, 3)])
    got = hue_agreement(real, test)
    assert got["red_orange"] == 1.0 and got["green"] == 0.0 and got["blue"] == 0.0
    assert got["all"] == pytest.approx(1 / 3)
    # gray everywhere agrees nowhere; a photo without blue has no blue figure
    gray = _lab_image([(55, 0, 0)] * 4)
    assert hue_agreement(real, gray)["all"] == 0.0
    assert hue_agreement(real[:2], real[:2])["blue"] is None
    # the hue wraps around: 170 and 190 degrees are 20 apart (atan2 gives 170 and -170)
    a = _lab_image([(55, 40 * np.cos(np.radians(170)), 40 * np.sin(np.radians(170)))])
    b = _lab_image([(55, 40 * np.cos(np.radians(190)), 40 * np.sin(np.radians(190)))])
    assert hue_agreement(a, b)["all"] == 1.0
    with pytest.raises(ValueError, match="shapes differ"):
        hue_agreement(real, real[:2])


def test_hue_agreement_counts_a_pale_but_right_colour_above_the_documented_chroma_8():
    """A colorization of chroma 10 with the real hue agrees (painted > 8, as documented);
    at chroma 6 it does not."""
    from colorgan_utils.metrics import hue_agreement

    real = _lab_image([(55, 30, 20)] * 2)
    unit = np.array([30.0, 20.0]) / np.hypot(30.0, 20.0)  # the real hue, chroma 1
    pale = _lab_image([(55, *(10 * unit))] * 2)
    assert hue_agreement(real, pale)["all"] == 1.0
    paler = _lab_image([(55, *(6 * unit))] * 2)
    assert hue_agreement(real, paler)["all"] == 0.0
