import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from skimage import color as skcolor

from colorgan_utils.colorize import colorize_files, read_photo
from colorgan_utils.config import get_config
from colorgan_utils.detector import build_detector, grad_cam
from colorgan_utils.detector import plan as detector_plan
from colorgan_utils.evaluation import evaluate_run, format_table
from colorgan_utils.runs import load_run
from colorgan_utils.forensics import roc_curve
from colorgan_utils.metrics import colorfulness
from colorgan_utils.models import build_generator
from colorgan_utils.training import train
from colorgan_utils.viz import wipe
from colorgan_utils.widgets import QuizState, comparison_frame, comparison_slider, quiz

ROOT = Path(__file__).resolve().parents[1]
CFG = get_config("smoke", environ={})


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory, splits):
    run = tmp_path_factory.mktemp("runs") / "smoke"
    train(CFG, run, splits=splits, epochs=1, verbose=0)
    return run


# ------------------------------------------------------------------ evaluation JSON


def test_per_breed_report_keeps_each_breed_to_its_own_photos():
    """Known answer: breed "a" is colorized perfectly (CIEDE2000 0), breed "b" not at all (its
    colorization is its gray photo), photos interleaved. The CLI's table lists no breed as worse
    than gray (equal is not worse) until "b" is painted red."""
    from colorgan_utils.evaluation import per_breed_report

    rng = np.random.default_rng(0)
    real = rng.uniform(0.1, 0.9, (6, 8, 8, 3))
    lab = skcolor.rgb2lab(real)
    lab[..., 1:] = 0
    gray = np.clip(skcolor.lab2rgb(lab), 0, 1)
    breeds = ["a", "b", "a", "b", "b", "a"]
    is_a = np.array([b == "a" for b in breeds])
    colorized = np.where(is_a[:, None, None, None], real, gray)
    batch = {"real": real, "gray": gray, "colorized": colorized}
    rep = per_breed_report(batch, breeds)
    de = skcolor.deltaE_ciede2000(skcolor.rgb2lab(real), skcolor.rgb2lab(gray)).mean(axis=(1, 2))
    assert sorted(rep) == ["a", "b"] and rep["a"]["photos"] == rep["b"]["photos"] == 3
    assert rep["a"]["ciede2000"] == pytest.approx(0.0, abs=1e-6)
    assert rep["a"]["gray_ciede2000"] == pytest.approx(de[is_a].mean(), abs=1e-6)
    assert rep["b"]["ciede2000"] == rep["b"]["gray_ciede2000"] == pytest.approx(de[~is_a].mean(),
                                                                                abs=1e-6)
    assert rep["a"]["colorfulness"] == rep["a"]["real_colorfulness"] == colorfulness(real[is_a])
    assert rep["b"]["colorfulness"] < 0.5 < rep["b"]["real_colorfulness"]
    with pytest.raises(ValueError, match="5 breed names for 6 photos"):
        per_breed_report(batch, breeds[:5])

    result = {"images": 6, "image_size": 8, "threshold": 0.5, "per_breed": rep,
              "quality": {n: {"psnr": 1.0, "ssim": 1.0, "ciede2000": 1.0, "colorfulness": 1.0}
                          for n in ("model", "gray_baseline", "real")},
              "l1_ab": {"model": 0.1, "gray_baseline": 0.1}}
    assert "on 0 of 2 breeds" in format_table(result)
    shifted = colorized.copy()
    shifted[~is_a] = np.clip(shifted[~is_a] + [0.2, 0.0, 0.0], 0, 1)  # "b" painted red
    result["per_breed"] = per_breed_report({**batch, "colorized": shifted}, breeds)
    assert format_table(result).endswith("on 1 of 2 breeds: b")


def test_evaluation_figures_are_the_known_answers(run_dir, splits):
    """Each figure of evaluate_run equals what it must be, recomputed here independently
    (skimage on the same colorized batch; the confusion matrices' own counts)."""
    from skimage.metrics import peak_signal_noise_ratio, structural_similarity

    from colorgan_utils.evaluation import colorize_records

    generator, disc = load_run(run_dir)
    assert disc is not None
    res = evaluate_run(generator, disc, splits["test"], CFG, splits["train"],
                       detector_plan(CFG, epochs=1))
    n = len(splits["test"])
    assert res["images"] == n and res["image_size"] == 32
    batch = colorize_records(generator, splits["test"], CFG)
    q = res["quality"]
    for name, images in (("model", batch["colorized"]), ("gray_baseline", batch["gray"])):
        psnr = np.mean([peak_signal_noise_ratio(r, t, data_range=1.0)
                        for r, t in zip(batch["real"], images)])
        ssim = np.mean([structural_similarity(r, t, data_range=1.0, channel_axis=-1)
                        for r, t in zip(batch["real"], images)])
        de = np.mean(skcolor.deltaE_ciede2000(skcolor.rgb2lab(batch["real"].astype(np.float64)),
                                              skcolor.rgb2lab(images.astype(np.float64))))
        assert q[name]["psnr"] == pytest.approx(psnr, abs=1e-4)
        assert q[name]["ssim"] == pytest.approx(ssim, abs=1e-4)
        assert q[name]["ciede2000"] == pytest.approx(de, abs=1e-3)
    # gray = (L, 0, 0): its CIEDE2000 to the photo is the photo's own chroma difference
    lab = skcolor.rgb2lab(batch["real"].astype(np.float64))
    gray_lab = np.concatenate([lab[..., :1], np.zeros_like(lab[..., 1:])], -1)
    assert q["gray_baseline"]["ciede2000"] == pytest.approx(
        np.mean(skcolor.deltaE_ciede2000(lab, gray_lab)), abs=0.05)
    assert q["gray_baseline"]["colorfulness"] < 0.05  # ab = 0: no colour (float rounding)
    assert q["real"]["colorfulness"] == pytest.approx(colorfulness(batch["real"]), abs=1e-6)
    assert res["l1_ab"]["gray_baseline"] == pytest.approx(np.abs(batch["ab"]).mean(), rel=1e-5)
    assert res["l1_ab"]["model"] == pytest.approx(
        np.abs(batch["colorized_ab"] - batch["ab"]).mean(), rel=1e-5)
    crit, det = res["discriminator"], res["detectors"]
    blocks = [(crit, "per_image_accuracy")] + [(det[k], "test_accuracy") for k in ("cnn",
                                                                                   "features")]
    blocks += [(b, "test_accuracy") for b in det["baselines"].values()]
    for block, acc in blocks:
        cm = np.array(block["confusion"])
        assert cm.sum(axis=1).tolist() == [n, n]  # every real and every colorized photo once
        assert block[acc] == pytest.approx(np.trace(cm) / cm.sum())
        low, high = block[acc + "_ci"]
        assert low <= block[acc] <= high
    assert crit["per_patch_accuracy"] == pytest.approx(
        (crit["per_patch_real_acc"] + crit["per_patch_colorized_acc"]) / 2)
    # the detectors' photos: the train split, split by photo into their train and validation
    assert det["train_photos"] + det["val_photos"] == len(splits["train"])
    assert det["test_photos"] == n and det["val_photos"] >= 1
    for key in ("cnn", "features"):
        assert len(det[key]["test_real_scores"]) == len(det[key]["test_colorized_scores"]) == n
        assert 1 <= det[key]["best_epoch"] <= det[key]["epochs_run"] <= 1 + 200
    assert sum(r["photos"] for r in det["per_breed"].values()) == n
    breeds = sorted({r.breed_name for r in splits["test"]})
    assert sorted(res["per_breed"]) == breeds  # every test breed, each photo once
    assert sum(r["photos"] for r in res["per_breed"].values()) == n
    json.dumps(res)  # JSON-ready
    table = format_table(res)
    assert "gray baseline" in table and f"{q['model']['psnr']:.2f}" in table


def test_cli_evaluate_writes_json(run_dir, data_dir, tmp_path):
    out = tmp_path / "metrics.json"
    res = subprocess.run([sys.executable, "-m", "colorgan_utils", "evaluate", "--run",
                          str(run_dir), "--data", str(data_dir), "--out", str(out),
                          "--detector-epochs", "1"], capture_output=True, text=True, cwd=ROOT,
                         env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert res.returncode == 0, res.stderr[-2000:]
    data = json.loads(out.read_text())
    assert {"images", "quality", "l1_ab", "discriminator", "detectors", "threshold",
            "colour_distributions"} <= set(data)
    assert {"baselines", "cnn", "features"} <= set(data["detectors"])
    assert data["generator_file"] == str(run_dir / "generator_best.keras")  # which one measured
    assert data["discriminator_file"] == str(run_dir / "discriminator_best.keras")
    assert f"generator: {run_dir / 'generator_best.keras'}" in res.stdout
    assert "beat" in res.stdout or "falls short" in res.stdout  # the bar, said plainly
    assert "PSNR" in res.stdout


def test_detectors_are_not_scored_on_photos_they_learn_from(run_dir, splits, data_dir, tmp_path):
    """``--split all`` (or train) evaluates the photos the detectors would learn from: the
    detectors are not measured, and the JSON and the table say why; quality still is."""
    generator, disc = load_run(run_dir)
    every = sum(splits.values(), [])
    res = evaluate_run(generator, disc, every, CFG, splits["train"], detector_plan(CFG, 1),
                       split="all")
    assert res["detectors"]["measured"] is False
    assert f"{len(splits['train'])} of the {len(every)} photos evaluated are train-split" \
        in res["detectors"]["why"]
    assert res["quality"]["model"]["psnr"] > 0 and res["split"] == "all"
    assert "Detectors not measured" in format_table(res)
    out = tmp_path / "all.json"
    cli = subprocess.run([sys.executable, "-m", "colorgan_utils", "evaluate", "--run",
                          str(run_dir), "--data", str(data_dir), "--out", str(out),
                          "--split", "all", "--detector-epochs", "1"], capture_output=True,
                         text=True, cwd=ROOT, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert cli.returncode == 0, cli.stderr[-2000:]
    assert "Detectors not measured" in cli.stdout and "trained on" not in cli.stdout
    assert json.loads(out.read_text())["detectors"]["measured"] is False


def test_evaluate_without_the_feature_detector_s_file_measures_the_rest_and_writes_json(
        run_dir, data_dir, tmp_path, monkeypatch, capsys):
    """Offline, without the MobileNetV2 file: the plan says so before any work, and evaluate
    finishes everything else, writes the JSON and marks that detector as not measured."""
    from colorgan_utils import encoder
    from colorgan_utils.cli import main

    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "empty_cache"))
    monkeypatch.delenv("COLORGAN_SMOKE", raising=False)  # the cpu preset: no random stand-in
    monkeypatch.setattr(encoder, "ORIGIN", (tmp_path / "offline").as_uri() + "/")
    plan = detector_plan(CFG.replace(preset="cpu"), epochs=1)
    assert plan.features_skipped and "cannot get the encoder weights" in plan.features_skipped
    assert "will not be measured" in capsys.readouterr().out
    out = tmp_path / "metrics.json"
    status = main(["evaluate", "--run", str(run_dir), "--data", str(data_dir), "--out", str(out),
                   "--preset", "cpu", "--detector-epochs", "1"])
    assert status == 0
    data = json.loads(out.read_text())
    assert data["detectors"]["features"]["measured"] is False
    assert "cannot get the encoder weights" in data["detectors"]["features"]["why"]
    assert data["detectors"]["cnn"]["test_auc"] >= 0 and "quality" in data
    assert data["detectors"]["per_breed_detector"] == "cnn"
    printed = capsys.readouterr()
    assert "MobileNetV2 features: not measured" in printed.out
    assert "NOT the MobileNetV2-feature detector" in printed.err  # said before the work


def test_missing_run_is_named(tmp_path):
    from colorgan_utils.errors import RunError

    with pytest.raises(RunError, match=f"{tmp_path} holds no usable generator"):
        load_run(tmp_path)
    with pytest.raises(RunError, match="no such run folder"):
        load_run(tmp_path / "nowhere")


# ------------------------------------------------------------------ slider


def test_wipe_positions():
    a = np.zeros((4, 10, 3), np.float32)
    b = np.ones((4, 10, 3), np.float32)
    np.testing.assert_array_equal(wipe(a, b, 0.0), b)
    np.testing.assert_array_equal(wipe(a, b, 1.0), a)
    half = wipe(a, b, 0.5)
    np.testing.assert_array_equal(half[:, :5], a[:, :5])
    np.testing.assert_array_equal(half[:, 5:], b[:, 5:])
    gray = np.full((4, 10, 1), 0.5, np.float32)
    assert wipe(gray, b, 1.0).shape == (4, 10, 3)
    with pytest.raises(ValueError, match="one size"):
        wipe(a, np.ones((4, 9, 3)), 0.5)


def test_slider_widget_redraws_without_a_browser():
    rng = np.random.default_rng(0)
    orig, colz = rng.random((3, 8, 8, 3)), rng.random((3, 8, 8, 3))
    gray = rng.random((3, 8, 8, 1))
    frame = comparison_frame({"original": orig, "gray": gray, "colorized": colz}, 1,
                             "colorized | original", 1.0)
    np.testing.assert_allclose(frame, colz[1], atol=1e-6)
    box = comparison_slider(orig, gray, colz, scale=1)
    assert box.controls["pair"].value == "colorized | original"  # the first question
    first = box.controls["view"].value
    box.controls["wipe"].value = 0.0
    assert box.controls["view"].value != first
    box.controls["photo"].value = 2
    assert box.controls["view"].value[:2] == b"\xff\xd8"  # a JPEG


def test_slider_marks_the_wipe_and_sends_small_frames_only_when_let_go():
    """A white line at the wipe (none at the edges); a redraw when a slider is let go, not on
    every pixel of a drag; a JPEG frame several times smaller than the PNG of a photo."""
    from colorgan_utils.widgets import to_jpeg, to_png

    a, b = np.zeros((1, 6, 10, 3)), np.full((1, 6, 10, 3), 0.5)
    images = {"colorized": a, "original": b, "gray": b[..., :1]}
    frame = comparison_frame(images, 0, "colorized | original", 0.5)
    assert (frame[:, 4:6] == 1.0).all()  # the line, 2 px, at the cut
    assert (frame[:, :4] == 0.0).all() and (frame[:, 6:] == 0.5).all()
    for edge, fill in ((0.0, 0.5), (1.0, 0.0)):
        assert (comparison_frame(images, 0, "colorized | original", edge) == fill).all()
    near = comparison_frame(images, 0, "colorized | original", 0.08)  # cut at column 1
    assert (near[:, 0:2] == 1.0).all() and (near[:, 2:] == 0.5).all()
    box = comparison_slider(a, b[..., :1], a, scale=1)
    assert not box.controls["wipe"].continuous_update
    assert not box.controls["photo"].continuous_update
    rng = np.random.default_rng(0)
    smooth = np.clip(np.cumsum(rng.normal(0, 0.01, (300, 400, 3)), axis=1) + 0.5, 0, 1)
    assert len(to_jpeg(smooth)) * 3 < len(to_png(smooth))


def test_slider_shows_whole_photos_of_different_sizes_at_their_own_size():
    import io

    from PIL import Image

    rng = np.random.default_rng(0)
    sizes = [(90, 140), (300, 200)]
    orig = [rng.random((h, w, 3)) for h, w in sizes]
    gray = [rng.random((h, w)) for h, w in sizes]
    colz = [rng.random((h, w, 3)) for h, w in sizes]
    box = comparison_slider(orig, gray, colz)
    view = box.controls["view"]
    shown = Image.open(io.BytesIO(view.value)).size
    assert shown == (280, 180) and (int(view.width), int(view.height)) == shown  # 2x, no more
    box.controls["photo"].value = 1
    shown = Image.open(io.BytesIO(view.value)).size
    assert shown == (200, 300) and int(view.width) == 200  # big enough: its own size


# ------------------------------------------------------------------ quiz


def test_quiz_fooling_rate():
    state = QuizState(10, seed=1)
    for _ in range(10):
        _, real_left = state.current()
        state.answer(picked_left=not real_left)  # always picks the colorized one
    assert state.done and state.fooling_rate == 1.0
    with pytest.raises(RuntimeError):
        state.answer(True)
    s2 = QuizState(4, seed=2)
    for k in range(4):
        _, real_left = s2.current()
        s2.answer(picked_left=real_left if k % 2 else not real_left)
    assert s2.fooling_rate == 0.5
    # Wilson 95% interval, known answers: 2 of 4 -> [0.150, 0.850]; 10 of 10 -> [0.722, 1]
    assert s2.interval() == pytest.approx((0.1500, 0.8500), abs=5e-4)
    assert state.interval() == pytest.approx((0.7225, 1.0), abs=5e-4)
    assert np.isnan(QuizState(3).interval()[0])  # no answers yet: no interval


def test_quiz_widget_clicks():
    """Whole photos of different sizes at their own size; each answer is told; the end gives
    the rate, its interval and why it differs from the published studies."""
    real = [np.zeros((30, 50, 3)), np.zeros((200, 120, 3))]
    colorized = [np.ones((40, 40, 3)), np.ones((300, 200, 3))]
    box = quiz(real, colorized)
    left, right = box.children[0].children
    i, real_left = box.state.current()
    shown = Image.open(io.BytesIO((left if real_left else right).value)).size
    assert shown == (real[i].shape[1] * 2, real[i].shape[0] * 2) or shown == real[i].shape[1::-1]
    buttons = box.children[1].children
    feedback = box.children[2]
    buttons[0 if real_left else 1].click()  # the real one
    assert "Right" in feedback.value
    _, real_left = box.state.current()
    buttons[1 if real_left else 0].click()  # the colorized one
    assert "Fooled" in feedback.value
    end = box.children[3].value
    assert box.state.done and "fooled in 50% of 2 trials" in end
    assert "95% interval 9% to 91%" in end and "one second" in end


# ------------------------------------------------------------------ detector maps


def test_grad_cam_shape_and_range():
    model = build_detector(32, width=4)
    maps = grad_cam(model, np.random.default_rng(0).random((3, 32, 32, 3)))
    assert maps.shape == (3, 32, 32)
    assert maps.min() >= 0 and maps.max() <= 1 + 1e-6


# ------------------------------------------------------------------ colorize your photos


@pytest.fixture(scope="module")
def generator():
    return build_generator(32, width=8)


MODES = {
    "gray.png": lambda im: im.convert("L"),
    "rgb.jpg": lambda im: im,
    "rgba.png": lambda im: im.convert("RGBA"),
    "cmyk.jpg": lambda im: im.convert("CMYK"),
    "palette.png": lambda im: im.convert("P"),
    "gray16.png": lambda im: Image.fromarray(
        (np.asarray(im.convert("L"), np.uint16) * 257).astype(np.uint16)),
}


def test_colorize_keeps_size_and_lightness_and_skips_bad_files(tmp_path, real_photo, generator):
    src = tmp_path / "in"
    src.mkdir()
    sizes = [(37, 29), (101, 64), (64, 101), (50, 51), (33, 90), (77, 41)]
    for (name, make), size in zip(MODES.items(), sizes):
        make(real_photo.resize(size)).save(src / name)
    (src / "broken.jpg").write_text("not a photo")
    report = colorize_files(generator, [src, tmp_path / "missing.jpg"], tmp_path / "out",
                            verbose=False)
    assert {Path(p).name for p, _ in report.skipped} == {"broken.jpg", "missing.jpg"}
    assert len(report.written) == len(MODES)
    for (name, _), size in zip(MODES.items(), sizes):
        out = tmp_path / "out" / f"{Path(name).stem}.png"
        with Image.open(out) as im:
            assert im.size == size and im.mode == "RGB"
            got = np.asarray(im, np.float64) / 255.0
        want = skcolor.rgb2lab(read_photo(src / name))[..., 0]
        assert np.abs(skcolor.rgb2lab(got)[..., 0] - want).max() < 1.0, name


def test_colorize_treats_colour_as_black_and_white(tmp_path, real_photo, generator):
    real_photo.save(tmp_path / "c.png")
    lum = skcolor.rgb2lab(np.asarray(real_photo) / 255.0)[..., :1]  # its own black-and-white
    gray = skcolor.lab2rgb(np.concatenate([lum, np.zeros_like(lum), np.zeros_like(lum)], -1))
    Image.fromarray(np.round(gray * 255).astype(np.uint8)).save(tmp_path / "g.png")
    colorize_files(generator, [tmp_path / "c.png", tmp_path / "g.png"], tmp_path / "o",
                   verbose=False)
    a = np.asarray(Image.open(tmp_path / "o" / "c.png"), np.int16)
    b = np.asarray(Image.open(tmp_path / "o" / "g.png"), np.int16)
    assert np.abs(a - b).max() <= 4  # same lightness in, same colours out (8-bit rounding)


def test_cli_colorize(tmp_path, run_dir, real_photo):
    real_photo.save(tmp_path / "dog.jpg")
    (tmp_path / "bad.jpg").write_text("x")
    res = subprocess.run([sys.executable, "-m", "colorgan_utils", "colorize", "--run",
                          str(run_dir), str(tmp_path / "dog.jpg"), str(tmp_path / "bad.jpg"),
                          "--out", str(tmp_path / "out")], capture_output=True, text=True,
                         cwd=ROOT, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert res.returncode == 1, res.stderr[-2000:]  # 1: some inputs were skipped
    assert (tmp_path / "out" / "dog.png").is_file()
    assert "skipped" in res.stdout and "bad.jpg" in res.stdout


def test_evaluation_splits_like_the_run_trained(run_dir):
    from colorgan_utils.runs import run_config

    cfg = run_config(run_dir, get_config("cpu", environ={"COLORGAN_DATA_DIR": "/d"}))
    assert cfg.image_size == 32 and cfg.max_images == CFG.max_images
    assert cfg.min_image_side == CFG.min_image_side and cfg.data_dir == "/d"
    assert run_config(None, CFG) is CFG


def test_shipped_pretrained_generator_colorizes(real_photo, tmp_path):
    from colorgan_utils.runs import PRETRAINED

    assert PRETRAINED.stat().st_size <= 10 * 1024 * 1024
    g, discriminator = load_run(None)
    assert discriminator is not None  # the GAN's verdict ships with the generator
    assert discriminator.input_shape == [(None, 128, 128, 1), (None, 128, 128, 2)]
    from colorgan_utils.models import training_size

    assert g.input_shape == (None, None, None, 1) and training_size(g) == 128
    real_photo.save(tmp_path / "dog.jpg")
    report = colorize_files(g, [tmp_path / "dog.jpg"], tmp_path / "out", verbose=False)
    with Image.open(report.written[0][1]) as im:
        out = np.asarray(im, np.float64) / 255.0
    assert out.shape[:2] == real_photo.size[::-1]
    assert colorfulness(out) > 1.0  # a trained generator adds colour


def test_shipped_generator_paints_no_blotches_on_whole_photos(photo_paths):
    """The veto that chose the shipped generator (README, Results): on no whole photo, rendered
    at 256 px as ``colorize`` does, more than 0.1% of the pixels painted 30 chroma units above the
    real photo. Variant o, shipped before, paints 0.21% on a beagle of the tiny Dogs subset."""
    from colorgan_utils.colorize import Colorizer
    from colorgan_utils.metrics import painted_share

    g, _ = load_run(None, verbose=False)
    colorizer = Colorizer(g, render_size=256)
    shares = {}
    for path in photo_paths:
        photo = read_photo(path)
        shares[path.name] = painted_share(photo / 255.0, colorizer(photo)[1] / 255.0)
    worst = max(shares, key=shares.get)
    assert len(shares) >= 8 and shares[worst] <= 0.001, f"{worst}: {shares[worst]:.3%} painted"


# ------------------------------------------------------------------ known answers


def _known_discriminator(logit: float):
    """A discriminator whose verdict is known: logit +``logit`` where the colour is non-zero (real
    photos), -``logit`` where ab = 0 (our stand-in "colorizations")."""
    import keras

    lum = keras.Input((None, None, 1))
    ab = keras.Input((None, None, 2))
    chroma = keras.layers.Lambda(
        lambda t: keras.ops.mean(keras.ops.abs(t), axis=(1, 2, 3), keepdims=True))(ab)
    out = keras.layers.Lambda(
        lambda c: keras.ops.where(c > 1e-4, logit, -logit) * keras.ops.ones_like(c))(chroma)
    return keras.Model([lum, ab], out)


def test_discriminator_report_on_known_logits():
    from colorgan_utils.evaluation import discriminator_report

    rng = np.random.default_rng(0)
    n = 6
    batch = {"L": rng.uniform(-1, 1, (n, 16, 16, 1)).astype("float32"),
             "ab": rng.uniform(-0.3, 0.3, (n, 16, 16, 2)).astype("float32"),
             "colorized_ab": np.zeros((n, 16, 16, 2), "float32")}
    rep = discriminator_report(_known_discriminator(0.3), batch)  # P(real) = 0.57: "real" at 0.5
    assert rep["per_patch_real_acc"] == rep["per_patch_colorized_acc"] == 1.0
    assert rep["per_image_accuracy"] == 1.0 and rep["auc"] == 1.0
    assert rep["confusion"] == [[n, 0], [0, n]]
    np.testing.assert_allclose(rep["real_scores"], 1 / (1 + np.exp(-0.3)), rtol=1e-6)
    np.testing.assert_allclose(rep["colorized_scores"], 1 / (1 + np.exp(0.3)), rtol=1e-6)
    assert rep["roc"] == roc_curve(rep["real_scores"], rep["colorized_scores"])
    # a patch logit of exactly 0 is a "colorized" verdict (P(real) = 0.5 is not above 0.5)
    tie = discriminator_report(_known_discriminator(0.0), batch)
    assert tie["per_patch_real_acc"] == 0.0 and tie["per_patch_colorized_acc"] == 1.0
    assert tie["per_patch_accuracy"] == 0.5 and tie["confusion"] == [[0, n], [0, n]]


def test_detectors_report_tells_reddish_real_from_bluish_colorized():
    """The forensic section end to end on a trivially separable set: every scorer's test figures,
    the CNN the right way round, and the colourfulness bar beaten (red and green photos are equally
    colourful: colourfulness alone is at chance here)."""
    from colorgan_utils.detector import DetectorPlan, detector_scores
    from colorgan_utils.evaluation import detectors_report

    rng = np.random.default_rng(0)

    def images(n, channel):
        x = rng.uniform(0.0, 0.2, (n, 32, 32, 3)).astype("float32")
        x[..., channel] += 0.7
        return x

    def batch(n):
        return {"real": images(n, 0), "colorized": images(n, 1)}  # real: reddish; fake: green

    train, val, test = batch(48), batch(16), batch(24)
    plan = DetectorPlan(epochs=4, alpha=0.35, weights=None)  # random MobileNetV2 weights
    rep, models = detectors_report(train, val, test, plan, n_boot=50)
    assert (rep["train_photos"], rep["val_photos"], rep["test_photos"]) == (48, 16, 24)
    assert set(rep["baselines"]) == {"colourfulness", "mean chroma"}
    for key in ("cnn", "features"):
        r = rep[key]
        assert r["test_auc"] > 0.9 and r["test_accuracy"] > 0.9
        assert r["confusion"][0][0] > 20 and r["confusion"][1][1] > 20
        assert r["vs_colourfulness"]["difference"] > 0.3
        assert r["vs_colourfulness"]["difference"] == pytest.approx(  # the bar is colourfulness
            r["test_auc"] - rep["baselines"]["colourfulness"]["test_auc"])
    real = detector_scores(models["cnn"], test["real"])
    assert real.tolist() == rep["cnn"]["test_real_scores"]
    assert np.median(real) > 0.5


def test_best_generator_is_the_epoch_with_the_lowest_validation_loss(tmp_path):
    import keras

    from colorgan_utils.callbacks import GeneratorCheckpoint

    class Stub:
        warmup_epochs = 0
        diverged = None
        generator = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
        discriminator = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])

    cb = GeneratorCheckpoint(tmp_path)  # watches val_g_l1 unless told otherwise
    cb.set_model(Stub())
    cb.on_train_begin()
    for epoch, loss in enumerate([0.09, 0.05, 0.07, 0.06]):
        cb.on_epoch_end(epoch, {"val_g_l1": loss})
    best = json.loads((tmp_path / "best.json").read_text())
    assert best["epoch"] == 2 and best["val_g_l1"] == 0.05


def test_keep_last_keeps_the_last_epoch_whatever_its_validation_l1(tmp_path):
    """``keep="last"`` (monitor None): the GAN's last averaged generator and its own
    discriminator are kept as best, although the validation L1 grew (a GAN term that adds
    colour moves away from the median colour); a resumed run goes on keeping the last."""
    import keras

    from colorgan_utils.callbacks import GeneratorCheckpoint

    class Stub:
        warmup_epochs = 1
        diverged = None
        generator = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1, use_bias=False)])
        discriminator = keras.Sequential([keras.Input((2,)),
                                          keras.layers.Dense(1, use_bias=False)])

    def run(cb, epochs):
        cb.set_model(Stub())
        cb.on_train_begin()
        for epoch in epochs:
            Stub.generator.set_weights([np.full((2, 1), epoch, np.float32)])
            Stub.discriminator.set_weights([np.full((2, 1), 100 + epoch, np.float32)])
            cb.on_epoch_end(epoch, {"val_g_l1": 0.05 + 0.01 * epoch})

    run(GeneratorCheckpoint(tmp_path, None), range(3))
    run(GeneratorCheckpoint(tmp_path, None), [3])  # resumed
    best = json.loads((tmp_path / "best.json").read_text())
    assert best["epoch"] == 4 and best["rule"] == "the last epoch's averaged generator"
    g = keras.models.load_model(tmp_path / "generator_best.keras").get_weights()[0]
    d = keras.models.load_model(tmp_path / "discriminator_best.keras").get_weights()[0]
    assert g[0, 0] == 3 and d[0, 0] == 103  # the pair of the same epoch


def test_save_json_makes_its_folder_and_reads_back(tmp_path):
    from colorgan_utils.evaluation import save_json

    result = {"quality": {"psnr": 24.66, "colorfulness": [18.9, 34.3]}, "n": 517}
    path = save_json(result, tmp_path / "new" / "deeper" / "metrics.json")
    assert path == tmp_path / "new" / "deeper" / "metrics.json"
    assert json.loads(path.read_text()) == result
    assert path.read_text().startswith('{\n  "quality"')  # indented for people to read


def test_checkpoint_prefers_adversarial_epochs_resumes_its_best_and_skips_diverged(tmp_path):
    """A scripted run: which epoch's networks end up in ``*_best.keras`` and ``*_last.keras``
    (each network's weights are set to its epoch number), across a warm-up, a resume, a
    diverged epoch and an epoch without the monitored value."""
    import keras

    from colorgan_utils.callbacks import GeneratorCheckpoint

    def net():
        return keras.Sequential([keras.Input((2,)), keras.layers.Dense(1, use_bias=False)])

    class Stub:
        warmup_epochs = 2
        diverged = None
        generator, discriminator = net(), net()

    def saved(name):
        model = keras.models.load_model(tmp_path / f"{name}.keras")
        return float(model.get_weights()[0][0, 0])

    def epoch_end(cb, epoch, logs):
        Stub.generator.set_weights([np.full((2, 1), epoch, np.float32)])
        Stub.discriminator.set_weights([np.full((2, 1), 100 + epoch, np.float32)])
        cb.on_epoch_end(epoch, logs)

    cb = GeneratorCheckpoint(tmp_path, "val_x")
    cb.set_model(Stub())
    cb.on_train_begin()
    best_after = []
    for epoch, loss in enumerate([0.03, 0.02, 0.08, 0.06, 0.07]):  # epochs 0-1 are warm-up
        epoch_end(cb, epoch, {"val_x": loss, "val_g_l1": 0.0})
        best_after.append(json.loads((tmp_path / "best.json").read_text()))
        assert saved("generator_last") == epoch and saved("discriminator_last") == 100 + epoch
    # a warm-up epoch counts while nothing better exists; any adversarial epoch beats it
    assert [b["epoch"] for b in best_after] == [1, 2, 3, 4, 4]
    rule = "the lowest val_x after the warm-up"
    assert best_after[1] == {"epoch": 2, "val_x": 0.02, "score": 1e6 + 0.02, "rule": rule}
    assert best_after[-1] == {"epoch": 4, "val_x": 0.06, "score": 0.06, "rule": rule}
    assert saved("generator_best") == 3 and saved("discriminator_best") == 103

    resumed = GeneratorCheckpoint(tmp_path, "val_x")  # a new process: the best is read back
    resumed.set_model(Stub())
    resumed.on_train_begin()
    epoch_end(resumed, 5, {"val_x": 0.065})
    assert saved("generator_best") == 3 and saved("generator_last") == 5
    epoch_end(resumed, 6, {})  # no validation this epoch: the last is saved, the best kept
    assert saved("generator_best") == 3 and saved("generator_last") == 6
    Stub.diverged = "g_loss is nan"
    epoch_end(resumed, 7, {"val_x": 0.01})  # a diverged epoch saves nothing at all
    assert saved("generator_last") == 6 and saved("generator_best") == 3
    Stub.diverged = None
    epoch_end(resumed, 8, {"val_x": 0.05})
    assert saved("generator_best") == 8 and saved("discriminator_best") == 108
    assert json.loads((tmp_path / "best.json").read_text())["epoch"] == 9


def test_detector_architecture_is_the_documented_one():
    """Random flips (training only), three 3x3 conv blocks of width, 2x width, 4x
    width (no biases: BatchNorm follows), two 2x2 poolings, global pooling, one logit; inputs in
    [0, 1] are seen in [-1, 1]."""
    import keras

    model = build_detector(32, width=16)
    names = [ly.name for ly in model.layers]
    assert names[:2] == ["rgb", "flip"]
    plain = build_detector(32, width=16, augment=False)
    names = [ly.name for ly in plain.layers]
    assert plain.count_params() == model.count_params()  # augmentation has no weights
    assert names[0] == "rgb" and names[2:] == [
        "conv1", "bn1", "relu1", "pool1", "conv2", "bn2", "relu2", "pool2", "conv3", "bn3",
        "features", "gap", "logit"]
    w = 16
    conv = 9 * 3 * w + 9 * w * 2 * w + 9 * 2 * w * 4 * w
    bn = 4 * (w + 2 * w + 4 * w)  # gamma, beta, moving mean and variance
    assert model.count_params() == conv + bn + 4 * w + 1 == 23_985
    assert tuple(model.get_layer("features").output.shape) == (None, 8, 8, 4 * w)
    assert tuple(model.output.shape) == (None, 1) and model.name == "detector"
    assert all(model.get_layer(f"conv{i}").kernel_size == (3, 3) for i in (1, 2, 3))
    scale = keras.Model(plain.input, plain.layers[1].output)
    np.testing.assert_allclose(scale(np.stack([np.zeros((32, 32, 3)), np.ones((32, 32, 3))]))
                               .numpy()[:, 0, 0, 0], [-1.0, 1.0])
    assert build_detector(16, width=4, name="other").name == "other"


def test_detector_training_follows_epochs_batch_and_seed(capsys):
    from colorgan_utils.detector import detector_scores, train_detector

    rng = np.random.default_rng(1)
    real, fake, val_real, val_fake = rng.random((4, 40, 16, 16, 3)).astype("float32")
    a, history = train_detector(real, fake, val_real, val_fake, epochs=2, batch_size=16,
                                width=4, seed=3)
    assert int(a.optimizer.iterations) == 2 * 5  # 80 photos in batches of 16, twice
    assert len(history["val_auc"]) == 2  # patience 3: no early stop within 2 epochs
    assert a.get_layer("conv1").filters == 4
    assert float(a.optimizer.learning_rate) == pytest.approx(1e-3)
    b, _ = train_detector(real, fake, val_real, val_fake, epochs=2, batch_size=16, width=4,
                          seed=3)
    c, _ = train_detector(real, fake, val_real, val_fake, epochs=2, batch_size=16, width=4,
                          seed=4)
    for x, y in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(x, y)  # the same seed: the same detector
    assert not all(np.array_equal(x, y) for x, y in zip(a.get_weights(), c.get_weights()))
    # scores are P(real) = sigmoid(logit), for any number of photos
    photos = rng.random((130, 16, 16, 3)).astype("float32")
    logits = a.predict(photos, verbose=0)[:, 0]
    capsys.readouterr()
    np.testing.assert_allclose(detector_scores(a, photos), 1 / (1 + np.exp(-logits)), rtol=1e-5)
    assert capsys.readouterr().out == ""  # no progress bar per call (notebook 05 calls it often)
    # augmentation is for training only: the same photo scores the same twice
    np.testing.assert_array_equal(detector_scores(a, photos[:4]), detector_scores(a, photos[:4]))


def test_format_table_prints_each_figure_in_its_place():
    res = {"images": 517, "image_size": 128, "threshold": 0.5,
           "quality": {"model": {"psnr": 24.661, "ssim": 0.9481, "ciede2000": 9.654,
                                 "colorfulness": 18.94},
                       "gray_baseline": {"psnr": 23.77, "ssim": 0.947, "ciede2000": 10.73,
                                         "colorfulness": 0.0},
                       "real": {"colorfulness": 34.31}},
           "l1_ab": {"model": 0.07512, "gray_baseline": 0.08931}}
    head = ["517 photos at 128 px (threshold P(real) = 0.5)", "",
            "                  PSNR dB    SSIM  CIEDE2000  colourful   L1 ab",
            "model               24.66   0.948       9.65       18.9  0.0751",
            "gray baseline       23.77   0.947      10.73        0.0  0.0893",
            "real photos                                        34.3"]
    assert format_table(res).splitlines() == head
    res["discriminator"] = {"per_patch_accuracy": 0.8, "per_patch_real_acc": 0.75,
                            "per_patch_colorized_acc": 0.85, "per_image_accuracy": 0.857,
                            "per_image_accuracy_ci": (0.83, 0.88), "auc": 0.9604,
                            "auc_ci": (0.94, 0.98), "mismatch_rejection": 0.4,
                            "mismatch_rejection_ci": (0.35, 0.45)}

    def scorer(acc, auc, ci, train=None):
        r = {"test_accuracy": acc, "test_accuracy_ci": (acc - ci, acc + ci), "test_auc": auc,
             "test_auc_ci": (auc - ci, auc + ci)}
        return r if train is None else {**r, "train_accuracy": train}

    res["detectors"] = {
        "train_photos": 900, "val_photos": 300, "test_photos": 517,
        "baselines": {"colourfulness": scorer(0.779, 0.858, 0.02)},
        "cnn": {**scorer(0.738, 0.800, 0.02, 0.729),
                "vs_colourfulness": {"difference": -0.057, "ci": (-0.08, -0.03)}},
        "features": {**scorer(0.983, 0.998, 0.01, 0.999),
                     "vs_colourfulness": {"difference": 0.14, "ci": (0.12, 0.16)}},
    }
    assert format_table(res).splitlines() == head + [
        "", "GAN discriminator: accuracy per patch 80.0% (real 75.0%, colorized 85.0%), per "
            "image 85.7% [83.0%, 88.0%], AUC 0.960 [0.940, 0.980]; mismatched pairs (another "
            "photo's real colours) called colorized: 40.0% [35.0%, 45.0%]",
        "", "Telling real from colorized (517 test photos, each once real and once colorized; "
            "thresholds chosen on 300 validation photos; detectors trained on 900 others; [95% "
            "interval]):",
        "                             test acc                 test AUC                 train acc",
        "colourfulness (no training)     77.9% [75.9%, 79.9%]    0.858 [0.838, 0.878]",
        "small CNN (from scratch)        73.8% [71.8%, 75.8%]    0.800 [0.780, 0.820]     72.9%",
        "MobileNetV2 features            98.3% [97.3%, 99.3%]    0.998 [0.988, 1.008]     99.9%",
        "small CNN falls short of the colourfulness bar: AUC -0.057 [-0.080, -0.030]",
        "MobileNetV2 features beats the colourfulness bar: AUC +0.140 [+0.120, +0.160]"]


def test_the_discriminator_report_counts_mismatched_pairs_called_colorized():
    """A discriminator with a known answer (logit = 4 x mean L x mean a per photo) and four
    photos: the mismatched pairs are each photo's L with the previous photo's real colours, and
    the mismatch rejection is the share of them with a logit <= 0."""
    import keras
    import tensorflow as tf

    from colorgan_utils import forensics
    from colorgan_utils.evaluation import discriminator_report

    class Known(keras.Model):
        def call(self, inputs, training=False):
            lum, ab = inputs
            score = 4 * tf.reduce_mean(lum, [1, 2, 3]) * tf.reduce_mean(ab[..., 0], [1, 2])
            return tf.reshape(score, [-1, 1, 1, 1])

    ones = np.ones((4, 8, 8, 1), np.float32)
    lum = ones * np.array([1, 1, -1, 1], np.float32)[:, None, None, None]
    ab = np.zeros((4, 8, 8, 2), np.float32)
    ab[..., 0] = np.array([0.5, -0.2, 0.3, 0.1])[:, None, None]
    batch = {"L": lum, "ab": ab, "colorized_ab": np.zeros_like(ab)}
    report = discriminator_report(Known(), batch, n_boot=50)
    # own colours: 4 x L x a = 2, -0.8, -1.2, 0.4; mismatched (a rolled: 0.1, 0.5, -0.2, 0.3)
    # = 0.4, 2, 0.8, 1.2: none called colorized
    assert report["mismatch_rejection"] == 0.0
    assert report["auc_mismatch"] == pytest.approx(forensics.auc([2, -0.8, -1.2, 0.4],
                                                                 [0.4, 2, 0.8, 1.2]))
    ab[..., 0] = np.array([-0.5, 0.2, 0.3, 0.1])[:, None, None]  # rolled: 0.1, -0.5, 0.2, 0.3
    assert discriminator_report(Known(), batch, n_boot=50)["mismatch_rejection"] == 0.5


def test_the_detectors_validation_photos_are_kept_apart_from_their_training_photos(splits):
    """Whole photos, drawn from the train split only, never on both sides: a detector
    validated on its own training photos would choose its epoch and threshold on what it
    learnt by heart."""
    from colorgan_utils.evaluation import detector_photos

    train = splits["train"]
    fit, val = detector_photos(train, photos=len(train), val_fraction=0.25, seed=0)
    fit_paths, val_paths = {r.path for r in fit}, {r.path for r in val}
    assert fit_paths and val_paths and not fit_paths & val_paths
    assert fit_paths | val_paths == {r.path for r in train}
    assert len(val) == round(len(train) * 0.25)
    few, few_val = detector_photos(train, photos=8, seed=0)
    assert len(few) + len(few_val) == 8 and not {r.path for r in few} & {r.path for r in few_val}


def test_quality_report_measures_hue_agreement_against_the_real_photo():
    """Real: orange of chroma 30; colorized: the same hue at chroma 10 (pale, but above the
    documented 8). Measured against the real photo: 1.0. Measured against the colorization, no
    pixel would be "clearly coloured" (chroma 10 < 15): None."""
    from colorgan_utils.evaluation import quality_report

    lab = np.zeros((2, 8, 8, 3))
    lab[..., 0] = 60.0
    real_lab, pale_lab = lab.copy(), lab.copy()
    unit = np.array([24.0, 18.0]) / 30.0
    real_lab[..., 1:] = 30 * unit
    pale_lab[..., 1:] = 10 * unit
    real, pale = skcolor.lab2rgb(real_lab), skcolor.lab2rgb(pale_lab)
    zeros = np.zeros((2, 8, 8, 2), "float32")
    rep = quality_report({"real": real, "colorized": pale, "gray": skcolor.lab2rgb(lab),
                          "ab": zeros, "colorized_ab": zeros})
    assert rep["hue_agreement"]["all"] == 1.0
    assert rep["hue_agreement"]["pixels"]["all"] == 2 * 8 * 8


def test_grad_cam_maps_are_the_same_on_every_call():
    """Grad-CAM runs the detector as it judges (inference mode): no random flip, BatchNorm's
    moving statistics; two calls give the same maps, and the same as the maps of one photo at a
    time (a batch's statistics would change them)."""
    model = build_detector(32, width=4)
    x = np.random.default_rng(1).random((4, 32, 32, 3)).astype("float32")
    a, b = grad_cam(model, x), grad_cam(model, x)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(grad_cam(model, x[:1])[0], a[0], atol=1e-5)


def test_the_quiz_shows_the_real_photo_on_either_side_as_drawn():
    """Over 40 trials the real photo is on the left in about half (not always on one side), and
    the widget puts it where the state says."""
    state = QuizState(40, seed=0)
    sides = [state.real_on_left[k] for k in range(40)]
    assert 10 <= sum(sides) <= 30
    real = [np.zeros((8, 8, 3)) for _ in range(6)]
    colorized = [np.ones((8, 8, 3)) for _ in range(6)]
    box = quiz(real, colorized, scale=1)
    left, right = box.children[0].children
    buttons = box.children[1].children
    seen = set()
    for _ in range(6):
        _, real_left = box.state.current()
        shown_left = np.asarray(Image.open(io.BytesIO(left.value)))
        assert (shown_left.max() == 0) == real_left  # the real photo is the black one
        seen.add(real_left)
        buttons[0].click()
    assert seen == {True, False}
