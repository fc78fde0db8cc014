"""Known answers for the forensic figures of notebook 05 and ``evaluate``: AUC, the calibrated
threshold, bootstrap intervals, the one-number baselines, and the detectors' labels and early
stopping."""

import numpy as np
import pytest
from skimage import color as skcolor

from colorgan_utils import forensics


def test_auc_is_the_share_of_real_colorized_pairs_ordered_right_ties_half():
    assert forensics.auc([3, 4], [1, 2]) == 1.0
    assert forensics.auc([1, 2], [3, 4]) == 0.0
    assert forensics.auc([1, 3], [2, 2]) == 0.5  # 3 beats both 2s, 1 beats neither
    assert forensics.auc([2], [2, 1]) == 0.75  # a tie counts half
    with pytest.raises(ValueError, match="at least one real and one colorized"):
        forensics.auc([], [1])


def test_calibrated_threshold_separates_a_separable_set_at_the_widest_gap():
    real, colorized = [0.6, 0.7, 0.9], [0.1, 0.3, 0.4]
    t = forensics.calibrate_threshold(real, colorized)
    assert t == pytest.approx(0.5)  # the middle of the gap between 0.4 and 0.6
    assert forensics.accuracy(real, colorized, t) == 1.0
    # any scale (a colourfulness, not a probability), and a gap away from 0.5
    assert forensics.calibrate_threshold([30, 35, 40], [10, 12, 20]) == pytest.approx(25.0)
    # overlapping: the best cut puts one of eight on the wrong side, never more
    real, colorized = [0.2, 0.6, 0.7, 0.8], [0.1, 0.3, 0.4, 0.5]
    t = forensics.calibrate_threshold(real, colorized)
    assert forensics.accuracy(real, colorized, t) == 7 / 8 and 0.5 <= t < 0.6
    # balanced: with 1 real and 3 colorized, calling everything colorized is not "75% right"
    t = forensics.calibrate_threshold([0.9], [0.1, 0.2, 0.95])
    assert 0.2 < t < 0.9


def test_bootstrap_interval_of_a_planted_accuracy_has_its_known_width():
    """100 test photos: 80 real ones called real, 20 not; every colorized one called colorized.
    Accuracy 0.9; per photo (real + colorized verdict) / 2 has SD 0.2, so the standard error is
    0.02 and the 95% interval about 0.9 +- 0.039."""
    real = np.r_[np.ones(80), np.zeros(20)]
    colorized = np.zeros(100)
    acc = lambda r, c: forensics.accuracy(r, c, 0.5)  # noqa: E731
    assert acc(real, colorized) == 0.9
    low, high = forensics.bootstrap_interval(real, colorized, acc, n_boot=4000, seed=1)
    assert low == pytest.approx(0.9 - 0.039, abs=0.008)
    assert high == pytest.approx(0.9 + 0.039, abs=0.008)
    # resampled by photo: a set of identical photos has no spread at all
    assert forensics.bootstrap_interval(np.ones(50), np.zeros(50), acc, n_boot=200) == (1.0, 1.0)
    # unpaired (different lengths) still works, and a wider level gives a wider interval
    narrow = forensics.bootstrap_interval(real, colorized[:60], acc, level=0.5, n_boot=2000)
    wide = forensics.bootstrap_interval(real, colorized[:60], acc, level=0.99, n_boot=2000)
    assert wide[0] < narrow[0] < narrow[1] < wide[1]


def _patches(n, chroma, seed):
    """``n`` RGB images in [0, 1] of random hue at a given Lab chroma (0 = gray)."""
    rng = np.random.default_rng(seed)
    lab = np.zeros((n, 8, 8, 3))
    lab[..., 0] = rng.uniform(40, 70, (n, 8, 8))
    hue = rng.uniform(0, 2 * np.pi, (n, 1, 1))
    lab[..., 1], lab[..., 2] = chroma * np.cos(hue), chroma * np.sin(hue)
    return np.clip(skcolor.lab2rgb(lab), 0, 1)


def test_baselines_find_a_planted_colourfulness_gap_and_nothing_without_one():
    vivid = {"real": _patches(40, 40, 0), "colorized": _patches(40, 10, 1)}
    test = {"real": _patches(30, 40, 2), "colorized": _patches(30, 10, 3)}
    rep = forensics.baseline_report(vivid, test, n_boot=100)
    assert set(rep) == {"colourfulness", "mean chroma"}
    for r in rep.values():
        assert r["test_auc"] == 1.0 and r["test_accuracy"] == 1.0
        assert r["confusion"] == [[30, 0], [0, 30]]
    assert 9 < rep["mean chroma"]["threshold"] < 40  # between the two chromas
    same = {"real": _patches(30, 25, 4), "colorized": _patches(30, 25, 5)}
    flat = forensics.baseline_report(same, same, n_boot=100)
    assert 0.3 < flat["mean chroma"]["test_auc"] < 0.7  # no gap: about chance


def test_score_report_keeps_test_photos_out_of_the_threshold():
    """The threshold comes from validation: test scores shifted far away change the test accuracy,
    never the threshold."""
    val_r, val_c = [0.6, 0.7], [0.3, 0.4]
    a = forensics.score_report(val_r, val_c, [0.8, 0.9], [0.1, 0.2], n_boot=50)
    b = forensics.score_report(val_r, val_c, [0.45, 0.45], [0.1, 0.2], n_boot=50)
    assert a["threshold"] == b["threshold"] == pytest.approx(0.5)
    assert a["test_accuracy"] == 1.0 and b["test_accuracy"] == 0.5
    assert b["confusion"] == [[0, 2], [0, 2]]


def test_auc_difference_against_the_bar():
    r, c = np.linspace(0.6, 1, 20), np.linspace(0, 0.4, 20)  # perfect
    bar_r, bar_c = np.random.default_rng(0).random((2, 20))  # chance
    d = forensics.auc_difference(r, c, bar_r, bar_c, n_boot=300)
    assert d["difference"] == pytest.approx(1 - forensics.auc(bar_r, bar_c))
    assert 0 < d["ci"][0] <= d["difference"] <= d["ci"][1]
    same = forensics.auc_difference(bar_r, bar_c, bar_r, bar_c, n_boot=50)
    assert same == {"difference": 0.0, "ci": (0.0, 0.0)}
    with pytest.raises(ValueError, match="same photos"):
        forensics.auc_difference(r, c, bar_r[:5], bar_c, n_boot=5)


def test_confident_examples_are_right_and_surest_first():
    real = [0.9, 0.4, 0.99, 0.7]  # photo 1 is called colorized: never shown as "real, right"
    colorized = [0.2, 0.8, 0.05, 0.6]
    got = forensics.confident_examples(real, colorized, threshold=0.5, k=3)
    assert got == {"real": [2, 0, 3], "colorized": [2, 0]}


def test_per_breed_accuracy_and_photo_split():
    rep = forensics.per_breed_accuracy([0.9, 0.1, 0.8], [0.2, 0.3, 0.9], 0.5, ["a", "b", "a"])
    assert rep == {"a": {"photos": 2, "accuracy": 0.75}, "b": {"photos": 1, "accuracy": 0.5}}
    train, val = forensics.split_photos(20, 0.25, seed=3)
    assert len(val) == 5 and len(train) == 15 and not set(train) & set(val)
    assert sorted(np.r_[train, val].tolist()) == list(range(20))
    with pytest.raises(ValueError, match="1 photos cannot be split"):
        forensics.split_photos(1)


def test_colour_distributions_show_a_washed_out_colorizer():
    dist = forensics.colour_distributions(_patches(6, 40, 0), _patches(6, 5, 1))
    assert dist["real"]["coloured_share"] == 1.0 and dist["colorized"]["coloured_share"] == 0.0
    width = np.diff(dist["chroma_edges"])
    for side in ("real", "colorized"):
        assert np.sum(np.array(dist[side]["chroma"]) * width) == pytest.approx(1.0)
    assert sum(dist["colorized"]["hue"]) == 0.0 and sum(dist["real"]["hue"]) == pytest.approx(1.0)


# ------------------------------------------------------------------ the detectors


def _tinted(n, channel, seed, size=16):
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.0, 0.2, (n, size, size, 3)).astype("float32")
    x[..., channel] += 0.7
    return x


def test_labels_are_real_one_colorized_zero():
    from colorgan_utils.detector import labelled

    x, y = labelled(np.ones((2, 4, 4, 3)), np.zeros((3, 4, 4, 3)))
    assert y.tolist() == [1, 1, 0, 0, 0] and x[:2].min() == 1 and x[2:].max() == 0


def test_cnn_detector_learns_which_side_is_real():
    """Real photos reddish, colorizations bluish: unseen red ones must score higher than unseen
    blue ones (AUC near 1). A detector trained with the labels swapped would rank them the other
    way round (AUC near 0)."""
    from colorgan_utils.detector import detector_scores, train_detector

    model, history = train_detector(_tinted(64, 0, 0), _tinted(64, 2, 1), _tinted(16, 0, 2),
                                    _tinted(16, 2, 3), epochs=6, patience=6, batch_size=16,
                                    width=4)
    real = detector_scores(model, _tinted(20, 0, 4))
    colorized = detector_scores(model, _tinted(20, 2, 5))
    assert forensics.auc(real, colorized) > 0.95
    assert np.median(real) > np.median(colorized)
    assert history["val_auc"][history["best_epoch"]] == max(history["val_auc"])


def test_feature_detector_learns_which_side_is_real():
    from colorgan_utils.detector import (detector_scores, feature_extractor, image_features,
                                         train_feature_detector)

    extractor = feature_extractor(0.35, None)  # random weights: colour stats still separate
    f = lambda x: image_features(extractor, x)  # noqa: E731
    head, _ = train_feature_detector(f(_tinted(48, 0, 0, 32)), f(_tinted(48, 2, 1, 32)),
                                     f(_tinted(16, 0, 2, 32)), f(_tinted(16, 2, 3, 32)),
                                     epochs=30, patience=30)
    real = detector_scores(head, f(_tinted(20, 0, 4, 32)))
    colorized = detector_scores(head, f(_tinted(20, 2, 5, 32)))
    assert np.median(real) > 0.5 > np.median(colorized)
    assert forensics.auc(real, colorized) > 0.95


def test_early_stopping_restores_the_best_epoch():
    """Labels that are pure noise: the validation AUC wanders, training stops after
    ``patience`` epochs without a new best, and the model handed back scores the validation set
    exactly as at its best epoch, not as at its last."""
    import keras

    from colorgan_utils.detector import build_feature_head, detector_scores, fit_detector

    rng = np.random.default_rng(0)
    x, xv = rng.normal(size=(200, 12)).astype("float32"), rng.normal(size=(60, 12)).astype("float32")
    y, yv = (rng.random(200) < 0.5).astype("float32"), (rng.random(60) < 0.5).astype("float32")
    keras.utils.set_random_seed(0)
    model = build_feature_head(x, dropout=0.0)
    history = fit_detector(model, (x, y), (xv, yv), epochs=40, patience=4, batch_size=32,
                           learning_rate=0.05)
    best = history["best_epoch"]
    assert len(history["val_auc"]) == best + 1 + 4  # stopped 4 epochs after the best
    assert history["val_auc"][-1] < history["val_auc"][best]
    p = detector_scores(model, xv)
    got = forensics.auc(p[yv == 1], p[yv == 0])
    assert got == pytest.approx(history["val_auc"][best], abs=0.01)


def test_mean_chroma_of_a_uniform_patch_of_chroma_c_is_exactly_c():
    """The "mean chroma" baseline is the mean Lab chroma: a uniform patch of chroma 30 scores
    30 (its colourfulness would be another number), a gray one 0."""
    lab = np.zeros((2, 8, 8, 3))
    lab[..., 0] = 60.0
    lab[0, ..., 1], lab[0, ..., 2] = 18.0, 24.0  # chroma 30
    images = skcolor.lab2rgb(lab)
    scores = forensics.one_number_scores(images)
    np.testing.assert_allclose(scores["mean chroma"], [30.0, 0.0], atol=0.05)
    assert abs(scores["colourfulness"][0] - 30.0) > 1.0  # the other baseline is another number


def test_roc_curve_known_points_and_its_area_is_the_auc():
    """Real 0.9, 0.4; colorized 0.6, 0.1: the curve's points from (1, 1) to (0, 0) are known,
    the false-positive rate is the colorized photos called real, and its trapezoid area is
    :func:`forensics.auc` (3 of 4 pairs ordered right)."""
    curve = forensics.roc_curve([0.9, 0.4], [0.6, 0.1])
    points = list(zip(curve["fpr"], curve["tpr"]))
    assert points == [(1.0, 1.0), (0.5, 1.0), (0.5, 0.5), (0.0, 0.5), (0.0, 0.0)]
    area = -np.trapezoid(curve["tpr"], curve["fpr"])
    assert area == pytest.approx(forensics.auc([0.9, 0.4], [0.6, 0.1])) == pytest.approx(0.75)
    # a detector that ranks every real photo above every colorized one: the top-left corner
    perfect = forensics.roc_curve([0.8, 0.9], [0.1, 0.2])
    assert (0.0, 1.0) in set(zip(perfect["fpr"], perfect["tpr"]))
    # scores on any scale (a logit, colourfulness): the same curve as probabilities give
    assert forensics.roc_curve([9.0, 4.0], [6.0, 1.0]) == curve


def test_the_feature_detector_stops_early_on_its_validation_features_not_its_training_ones():
    """Validation features labelled the other way round from training (perfectly separable
    both): in every epoch the validation AUC is the mirror of the training AUC (stopped on its
    own training features it would equal it), and the head handed back scores the validation
    features as its best epoch's validation AUC says."""
    from colorgan_utils.detector import detector_scores, train_feature_detector

    rng = np.random.default_rng(0)
    real, colorized = rng.normal(1.0, 0.3, (40, 6)), rng.normal(-1.0, 0.3, (40, 6))
    head, history = train_feature_detector(real, colorized, colorized[:12], real[:12], epochs=6,
                                           patience=6)
    for train_auc, val_auc in zip(history["auc"], history["val_auc"]):
        assert abs(train_auc - val_auc) > 0.5
    best = history["val_auc"][history["best_epoch"]]
    got = forensics.auc(detector_scores(head, colorized[:12]), detector_scores(head, real[:12]))
    assert got == pytest.approx(best, abs=0.01)


def test_the_per_breed_table_uses_the_stronger_detector():
    weak = {"test_auc": 0.6, "test_real_scores": [0.1, 0.2], "test_colorized_scores": [0.9, 0.8],
            "threshold": 0.5}
    strong = {"test_auc": 0.9, "test_real_scores": [0.9, 0.8],
              "test_colorized_scores": [0.1, 0.2], "threshold": 0.5}
    assert forensics.strongest({"cnn": weak, "features": strong}) == "features"
    assert forensics.strongest({"cnn": strong, "features": weak}) == "cnn"
    assert forensics.strongest({"cnn": weak}) == "cnn"


def test_perfect_and_useless_classifiers():
    real, colorized = [0.9, 0.8, 0.7], [0.1, 0.2, 0.3]
    assert forensics.accuracy(real, colorized) == 1.0
    assert forensics.auc(real, colorized) == 1.0 and forensics.auc(colorized, real) == 0.0
    assert forensics.auc([0.5, 0.5], [0.5, 0.5]) == 0.5
    np.testing.assert_array_equal(forensics.confusion(real, colorized), [[3, 0], [0, 3]])
    rng = np.random.default_rng(0)
    r, c = rng.random(50) * 0.8 + 0.2, rng.random(40) * 0.8
    assert forensics.auc(r, c) == pytest.approx(np.mean(r[:, None] > c[None, :]))  # no ties
    curve = forensics.roc_curve(r, c)
    assert -np.trapezoid(curve["tpr"], curve["fpr"]) == pytest.approx(forensics.auc(r, c))


def test_sigmoid_confusion_and_threshold_known_answers():
    np.testing.assert_allclose(forensics.sigmoid([0.0, -2.0, 50.0]),
                               [0.5, 1 / (1 + np.e**2), 1.0])
    # a score exactly at the threshold is called "colorized"
    np.testing.assert_array_equal(forensics.confusion([0.5], [0.5], 0.5), [[0, 1], [0, 1]])
    np.testing.assert_array_equal(forensics.confusion([0.6, 0.4], [0.6, 0.4]), [[1, 1], [1, 1]])
    assert forensics.accuracy([0.6, 0.4], [0.6, 0.4]) == 0.5
    # the threshold is used: at 0.9 the real photo scoring 0.8 is called colorized
    assert forensics.accuracy([0.8], [0.1], threshold=0.9) == 0.5
    assert forensics.accuracy([0.8], [0.1], threshold=0.5) == 1.0
