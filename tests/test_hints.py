"""Colour hints (colorgan_utils/hints.py, the hinted generator in models.py, the CLI's --hint):
where a hint lands, what a hint with mask 0 does (nothing), that no hints go the automatic
generator's way, how bad hints are refused, and that the simulation is seeded and only ever
reads the training photos."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from colorgan_utils import hints as H
from colorgan_utils import models
from colorgan_utils.cli import main
from colorgan_utils.colorize import Colorizer

RED_AB = np.array([80.09, 67.20]) / 110.0  # sRGB #ff0000 in CIE Lab (D65): L 53.24


@pytest.fixture(scope="module")
def base():
    """A small automatic generator on a random MobileNetV2 (no file needed), its last layer
    random too (it starts at 0: gray)."""
    g = models.build_pretrained_generator(32, 0.35, None, 8)
    layer = g.get_layer("to_ab")
    rng = np.random.default_rng(0)
    layer.set_weights([rng.normal(0, 0.05, w.shape).astype("float32")
                       for w in layer.get_weights()])
    return g


def _randomised_branch(hinted):
    """``hinted`` with its hint branch given random weights: as if it had been trained."""
    rng = np.random.default_rng(1)
    for layer in hinted.layers:
        if layer.name.startswith("hints") and layer.weights:
            layer.set_weights([rng.normal(0, 0.3, w.shape).astype("float32")
                               for w in layer.get_weights()])
    return hinted


def test_a_hint_colour_appears_at_its_pixel():
    # pure red at the photo's pixel (x=30, y=10) of a 40 x 60 photo, rendered at 20 x 30
    ab, mask = H.hint_map([H.Hint(30, 10, (255, 0, 0))], (40, 60), (20, 30), patch=1)
    assert mask.sum() == 1 and mask[5, 15, 0] == 1
    np.testing.assert_allclose(ab[5, 15], RED_AB, atol=2e-3)
    assert np.abs(ab).sum() == pytest.approx(np.abs(ab[5, 15]).sum())
    # the photo's last pixel is the render's last; a 3 px patch stays inside the picture
    ab, mask = H.hint_map([H.Hint(59, 39, (0, 0, 255))], (40, 60), (20, 30), patch=3)
    assert mask[18:, 28:, 0].all() and mask.sum() == 4
    assert H.render_pixel(0, 0, (40, 60), (20, 30)) == (0, 0)
    # a later hint paints over an earlier one on the same pixel
    ab, _ = H.hint_map([H.Hint(1, 1, (0, 0, 255)), H.Hint(1, 1, (255, 0, 0))], (4, 4), (4, 4),
                       patch=1)
    np.testing.assert_allclose(ab[1, 1], RED_AB, atol=2e-3)


def test_the_model_input_carries_the_hint_where_the_mask_is_one():
    lum = tf.zeros([1, 4, 4, 1])
    hint_ab = tf.fill([1, 4, 4, 2], 0.5)
    mask = tf.zeros([1, 4, 4, 1]).numpy()
    mask[0, 2, 3] = 1
    x = H.generator_input(lum, hint_ab, mask).numpy()
    assert x.shape == (1, 4, 4, 4)
    assert x[0, 2, 3, 1:].tolist() == [0.5, 0.5, 1.0]
    assert np.abs(x[..., 1:]).sum() == 2.0  # elsewhere: no colour, no mask


def test_the_hinted_generator_starts_as_the_generator_it_extends(base):
    hinted = models.hinted_generator(base)
    assert models.takes_hints(hinted) and not models.takes_hints(base)
    lum = tf.random.uniform([2, 64, 96, 1], -1, 1, seed=1)
    ab = tf.random.uniform([2, 64, 96, 2], -0.4, 0.4, seed=2)
    hint_ab, mask = H.simulate(ab, [3, 4], n_points=10)
    before = base(lum).numpy()
    np.testing.assert_array_equal(hinted(H.generator_input(lum, hint_ab, mask)).numpy(), before)
    np.testing.assert_array_equal(hinted(models.as_input(hinted, lum)).numpy(), before)


def test_a_hint_whose_mask_is_0_changes_nothing(base):
    hinted = _randomised_branch(models.hinted_generator(base))
    lum = tf.random.uniform([1, 64, 64, 1], -1, 1, seed=3)
    colour = tf.fill([1, 64, 64, 2], 0.6)
    off = tf.zeros([1, 64, 64, 1])
    on = tf.tensor_scatter_nd_update(off, [[0, 30, 30, 0]], [1.0])
    none = hinted(H.generator_input(lum)).numpy()
    # "no hints" as every caller builds it: L and three zero channels
    np.testing.assert_array_equal(hinted(models.as_input(hinted, lum)).numpy(), none)
    # the colour channels filled everywhere, but the mask 0: exactly nothing changes, also
    # when the colour reaches the model without generator_input's zeroing
    np.testing.assert_array_equal(hinted(H.generator_input(lum, colour, off)).numpy(), none)
    raw = tf.concat([lum, colour, off], -1)
    np.testing.assert_array_equal(hinted(raw).numpy(), none)
    # the same colour with the mask 1 on one pixel does change it (the branch is live)
    assert np.abs(hinted(H.generator_input(lum, colour, on)).numpy() - none).max() > 1e-3


def test_no_hints_go_through_the_same_path_as_the_automatic_generator(base, real_photo):
    photo = np.asarray(real_photo.resize((90, 70)))
    automatic = Colorizer(base, 64)(photo)[1]
    hinted = _randomised_branch(models.hinted_generator(base))
    # the hinted colorizer with no hints gives the automatic colorization, pixel for pixel
    # (its branch, even trained, adds exactly 0 for an empty hint map)
    np.testing.assert_array_equal(Colorizer(hinted, 64)(photo)[1], automatic)
    np.testing.assert_array_equal(Colorizer(hinted, 64)(photo, [])[1], automatic)
    with_hint = Colorizer(hinted, 64)(photo, [H.Hint(45, 35, (255, 0, 0))])[1]
    assert np.abs(with_hint.astype(int) - automatic).max() > 0
    # an automatic generator given hints refuses them
    with pytest.raises(H.HintError, match="takes no hints"):
        Colorizer(base, 64)(photo, [H.Hint(1, 1, (255, 0, 0))])


def test_only_a_pretrained_generator_can_be_extended():
    scratch = models.build_generator(32, 4, 2)
    with pytest.raises(ValueError, match="pretrained encoder"):
        models.hinted_generator(scratch)


@pytest.mark.parametrize("text, what", [
    ("10,20", "X,Y,#RRGGBB"), ("a,2,#ff0000", "whole pixel"), ("1,2,#ff00", "#RRGGBB"),
    ("1,2,red", "#RRGGBB"), ("1,2,#gg0000", "#RRGGBB"), ("1,2,3,4", "X,Y,#RRGGBB")])
def test_bad_hint_text_is_refused_by_name(text, what):
    with pytest.raises(H.HintError, match=what) as err:
        H.parse_hint(text)
    assert text in str(err.value)


def test_good_hint_text_and_json(tmp_path):
    assert H.parse_hint(" 3, 4, #D2691E ") == H.Hint(3, 4, (210, 105, 30))
    f = tmp_path / "h.json"
    f.write_text(json.dumps({"hints": [{"x": 1, "y": 2, "color": "#00ff00"},
                                       {"x": 0, "y": 0, "colour": "0000ff"}]}))
    assert H.read_hints(f) == [H.Hint(1, 2, (0, 255, 0)), H.Hint(0, 0, (0, 0, 255))]


@pytest.mark.parametrize("content, what", [
    ("{not json", "not valid JSON"), ('{"x": 1}', "expected a list"),
    ('[{"x": 1, "y": 2}]', "entry 0"), ('[{"x": 1.5, "y": 2, "color": "#ffffff"}]', "entry 0"),
    ('[{"x": 1, "y": 2, "color": "#fff"}, 3]', "entry 0"), ('[3]', "entry 0"),
    ('[{"x": true, "y": 2, "color": "#ffffff"}]', "entry 0")])
def test_bad_hint_files_are_refused_with_the_entry(tmp_path, content, what):
    f = tmp_path / "hints.json"
    f.write_text(content)
    with pytest.raises(H.HintError, match=what) as err:
        H.read_hints(f)
    assert str(f) in str(err.value)
    with pytest.raises(H.HintError, match="cannot read"):
        H.read_hints(tmp_path / "missing.json")


def test_hints_outside_the_photo_are_refused():
    H.check_inside([H.Hint(0, 0, (0, 0, 0)), H.Hint(59, 39, (0, 0, 0))], 60, 40)
    for x, y in ((60, 0), (0, 40), (-1, 3)):
        with pytest.raises(H.HintError, match="outside dog.jpg"):
            H.check_inside([H.Hint(x, y, (0, 0, 0))], 60, 40, "dog.jpg")


def test_the_cli_refuses_bad_hints_before_any_work(tmp_path, real_photo, monkeypatch, capsys):
    from colorgan_utils import runs

    photo = tmp_path / "dog.jpg"
    real_photo.save(photo)
    w, h = real_photo.size

    def no_work(*_a, **_k):
        raise AssertionError("a network was loaded for hints that cannot be used")

    monkeypatch.setattr(runs, "load_run", no_work)
    out = tmp_path / "out"
    second = tmp_path / "dog2.jpg"
    real_photo.save(second)
    bad = tmp_path / "bad.json"
    bad.write_text("[{]")
    cases = [([str(photo), "--hint", f"{w},0,#ff0000"], f"outside {photo}"),
             ([str(photo), "--hint", f"0,{h},#ff0000"], f"outside {photo}"),
             ([str(photo), str(second), "--hint", "1,1,#ff0000"], "one photo"),
             ([str(tmp_path), "--hint", "1,1,#ff0000"], "one photo"),
             ([str(photo), "--hints", str(bad)], "not valid JSON")]
    for args, what in cases:
        assert main(["colorize", *args, "--out", str(out)]) == 2
        assert what in capsys.readouterr().err
    # a bad colour is a usage error naming the hint (argparse)
    with pytest.raises(SystemExit) as exit_:
        main(["colorize", str(photo), "--out", str(out), "--hint", "1,1,#12"])
    assert exit_.value.code == 2 and "1,1,#12" in capsys.readouterr().err
    assert not out.exists() or not any(out.iterdir())


def test_bad_hints_are_refused_before_tensorflow_is_imported(tmp_path, real_photo):
    """The refusal is instant: the command line checks hints before it imports TensorFlow."""
    import subprocess
    import sys

    photo = tmp_path / "dog.jpg"
    real_photo.save(photo)
    code = ("import sys; from colorgan_utils.cli import main; "
            f"rc = main(['colorize', {str(photo)!r}, '--out', {str(tmp_path / 'o')!r}, "
            "'--hint', '99999,0,#ff0000']); "
            "print(rc, 'tensorflow' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.stdout.split() == ["2", "False"], done.stdout + done.stderr[-2000:]
    assert "outside" in done.stderr


def test_the_cli_refuses_hints_for_an_automatic_generator(tmp_path, real_photo, capsys):
    photo = tmp_path / "dog.jpg"
    real_photo.save(photo)
    assert main(["colorize", str(photo), "--out", str(tmp_path / "o"), "--run",
                 "colorgan_utils/pretrained/generator_128.npz", "--hint", "1,1,#ff0000"]) == 2
    assert "takes no hints" in capsys.readouterr().err


def test_simulated_hints_are_seeded_and_carry_their_patch_s_mean_colour():
    ab = tf.random.uniform([4, 32, 48, 2], -0.5, 0.5, seed=7)
    a = H.simulate(ab, [1, 2])
    b = H.simulate(ab, [1, 2])
    c = H.simulate(ab, [1, 3])
    np.testing.assert_array_equal(a[0].numpy(), b[0].numpy())
    np.testing.assert_array_equal(a[1].numpy(), b[1].numpy())
    assert not np.array_equal(a[1].numpy(), c[1].numpy())
    # one point: its patch is one square, every pixel of it the photo's mean ab under it
    hint_ab, mask = (t.numpy() for t in H.simulate(ab, [5, 6], n_points=1))
    for i in range(4):
        rows, cols = np.nonzero(mask[i, ..., 0])
        r0, r1, c0, c1 = rows.min(), rows.max() + 1, cols.min(), cols.max() + 1
        assert mask[i, r0:r1, c0:c1].all() and mask[i].sum() == (r1 - r0) * (c1 - c0)
        assert 1 <= r1 - r0 == c1 - c0 <= H.Sampling().max_patch
        mean = ab.numpy()[i, r0:r1, c0:c1].mean((0, 1))
        np.testing.assert_allclose(hint_ab[i, r0:r1, c0:c1], np.broadcast_to(mean, (
            r1 - r0, c1 - c0, 2)), atol=1e-5)
        assert not hint_ab[i][mask[i, ..., 0] == 0].any()
    assert not H.simulate(ab, [5, 6], n_points=0)[1].numpy().any()


def test_the_number_of_points_is_geometric_with_some_photos_given_none():
    ab = tf.zeros([2000, 16, 16, 2])
    _, mask = H.simulate(ab, [0, 1], H.Sampling(stop=0.25, max_points=24, max_patch=1))
    points = mask.numpy().reshape(2000, -1).sum(1)  # 1 px patches: pixels ~ points (overlaps)
    assert 0.21 < np.mean(points == 0) < 0.29  # stop = 0.25: a quarter get none
    assert 2.5 < points.mean() < 3.2  # (1 - stop) / stop = 3 points on average
    assert points.max() <= 24
    with pytest.raises(ValueError, match="stop"):
        H.Sampling(stop=0.0)


def test_hint_sampling_is_seeded_and_never_reads_the_test_split(tmp_path, data_dir, monkeypatch):
    from colorgan_utils import config, data, training

    cfg = config.get_config("smoke", environ={}, data_dir=str(data_dir)).replace(
        hints=True, encoder_weights=None)
    seen: list[tuple[list[str], bool, object]] = []
    real = data.make_dataset

    def spy(paths, cfg_, training=False, *a, **k):
        seen.append(([str(getattr(p, "path", p)) for p in paths], training, k.get("hints")))
        return real(paths, cfg_, training, *a, **k)

    monkeypatch.setattr(training, "make_dataset", spy)
    training.train(cfg, tmp_path / "run", epochs=1, verbose=0)
    split = json.loads((tmp_path / "run" / "split.json").read_text())
    _, splits = data.load_splits(cfg)
    test_files = {r.path for r in splits["test"]}
    assert test_files and split
    hinted = [paths for paths, _, h in seen if h is not None]
    assert len(hinted) == 2  # the training and validation pipelines simulate hints
    assert not test_files & {p for paths in hinted for p in paths}
    assert not test_files & {p for paths, _, _ in seen for p in paths}
    # the training pipeline is seeded: built twice, its first batch's hints are the same
    first = [next(iter(real(splits["train"], cfg, True, hints=H.sampling_of(cfg))))[0]
             for _ in range(2)]
    assert first[0].shape[-1] == 4
    np.testing.assert_array_equal(first[0].numpy()[..., 3], first[1].numpy()[..., 3])


def test_every_shipped_generator_on_imagenet_weights_carries_the_licence_notice():
    """Each shipped file whose network holds MobileNetV2's ImageNet weights (the hinted one
    included) has its own section in pretrained/README.md with the Apache 2.0 notice."""
    from colorgan_utils import runs

    folder = runs.PRETRAINED.parent
    text = (folder / "README.md").read_text()
    sections = {s.split("`")[1]: s for s in text.split("\n## ")[1:] if s.startswith("`")}
    with_encoder = []
    for path in sorted(folder.glob("*.npz")):
        with np.load(path) as f:
            if '"encoder"' in str(f["config"]):
                with_encoder.append(path.name)
    assert runs.PRETRAINED_HINTS.name in with_encoder and runs.PRETRAINED.name in with_encoder
    for name in with_encoder:
        assert name in sections, f"pretrained/README.md has no section for {name}"
        assert "Licence notice" in sections[name] and "Apache License" in sections[name], name


def test_a_spread_hint_fills_its_region_and_stops_at_an_edge():
    """HintSpread on a known picture: L dark on the left half, bright on the right; one hint
    on the left reaches the whole left half with its colour, and not the right half."""
    lum = np.full((1, 64, 64, 1), 0.6, np.float32)
    lum[:, :, :32] = -0.6
    ab, mask = H.hint_map([H.Hint(8, 30, (255, 0, 0))], (64, 64), (64, 64), patch=3)
    hint = np.concatenate([ab * mask, mask], -1)[None]
    out = models.HintSpread()([tf.constant(lum), tf.constant(hint)]).numpy()[0]
    conf, colour = out[..., 2], out[..., :2]
    assert conf[:, :28].min() > 0.3  # the whole dark half (its far corners included)
    assert conf[:, 36:].max() < 1e-3  # nothing across the edge
    np.testing.assert_allclose(colour[conf > 0.3], np.broadcast_to(RED_AB, colour[conf > 0.3]
                                                                   .shape), atol=2e-3)
    none = models.HintSpread()([tf.constant(lum), tf.zeros_like(hint)]).numpy()
    assert not none.any()


def test_the_spread_gate_starts_at_zero_and_mask_0_never_passes_it(base):
    hinted = models.hinted_generator(base, gain=5.0, spread=True)
    lum = tf.random.uniform([1, 64, 64, 1], -1, 1, seed=5)
    hint_ab, mask = H.simulate(tf.fill([1, 64, 64, 2], 0.5), [1, 1], n_points=5)
    np.testing.assert_array_equal(hinted(H.generator_input(lum, hint_ab, mask)).numpy(),
                                  base(lum).numpy())
    hinted.get_layer("hint_gate").w.assign(1.0)  # fully open
    assert hinted.get_layer("hint_gate").gate() == 1.0
    with_hints = hinted(H.generator_input(lum, hint_ab, mask)).numpy()
    assert np.abs(with_hints - base(lum).numpy()).max() > 0.05
    np.testing.assert_array_equal(hinted(models.as_input(hinted, lum)).numpy(), base(lum).numpy())
