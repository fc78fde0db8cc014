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


def test_perfect_and_useless_classifiers():
    real = [0.9, 0.8, 0.7]
    fake = [0.1, 0.2, 0.3]
    assert metrics.accuracy(real, fake) == 1.0
    assert metrics.roc(real, fake)["auc"] == pytest.approx(1.0)
    assert metrics.roc(fake, real)["auc"] == pytest.approx(0.0)
    assert metrics.roc([0.5, 0.5], [0.5, 0.5])["auc"] == pytest.approx(0.5)
    np.testing.assert_array_equal(metrics.confusion(real, fake), [[3, 0], [0, 3]])


def test_roc_matches_rank_statistic():
    rng = np.random.default_rng(0)
    real, fake = rng.random(50) * 0.8 + 0.2, rng.random(40) * 0.8
    # AUC = P(score_real > score_fake) (Mann-Whitney)
    want = np.mean(real[:, None] > fake[None, :])
    r = metrics.roc(real, fake)
    assert r["auc"] == pytest.approx(want, abs=1e-6)
    assert r["fpr"][0] >= r["fpr"][-1] and len(r["fpr"]) == len(r["tpr"])


def test_confusion_threshold():
    cm = metrics.confusion([0.6, 0.4], [0.6, 0.4], threshold=0.5)
    np.testing.assert_array_equal(cm, [[1, 1], [1, 1]])
    assert metrics.accuracy([0.6, 0.4], [0.6, 0.4]) == 0.5
