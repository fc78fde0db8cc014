"""Notebook 07's hint widget (colorgan_utils/hint_widget.py) without a browser: where a click
lands on the photo at any display size, and the session's hints, undo, clear and true colour.
The browser test (tests/test_browser.py) clicks the real thing."""

from __future__ import annotations

import numpy as np
import pytest

from colorgan_utils import hint_widget as hw
from colorgan_utils import models
from colorgan_utils.hints import HintError


@pytest.mark.parametrize("shown", [(80, 48), (40, 24), (160, 96), (33, 20), (800, 480)])
def test_a_click_maps_to_the_photo_pixel_at_any_display_size(shown):
    sw, sh = shown
    for px, py in ((0, 0), (79, 47), (61, 20), (40, 24)):
        # a click in the middle of the photo pixel (px, py), as the browser reports it
        event = {"relativeX": (px + 0.5) * sw / 80, "relativeY": (py + 0.5) * sh / 48,
                 "boundingRectWidth": sw, "boundingRectHeight": sh}
        assert hw.click_pixel(event, 80, 48) == (px, py), (shown, px, py)
    # on the border (or a pixel beyond, as browsers round) stays inside the photo
    edge = {"relativeX": sw + 1, "relativeY": -1, "boundingRectWidth": sw,
            "boundingRectHeight": sh}
    assert hw.click_pixel(edge, 80, 48) == (79, 0)


def test_a_click_without_its_place_is_refused():
    with pytest.raises(HintError, match="place"):
        hw.click_pixel({"relativeX": 3}, 80, 48)
    with pytest.raises(HintError, match="place"):
        hw.click_pixel({"relativeX": 3, "relativeY": 2, "boundingRectWidth": 0,
                        "boundingRectHeight": 0}, 80, 48)


@pytest.fixture(scope="module")
def hinted():
    base = models.build_pretrained_generator(32, 0.35, None, 8)
    rng = np.random.default_rng(0)
    base.get_layer("to_ab").set_weights([rng.normal(0, 0.05, w.shape).astype("float32")
                                         for w in base.get_layer("to_ab").get_weights()])
    g = models.hinted_generator(base)
    for layer in g.layers:
        if layer.name.startswith("hints") and layer.weights:
            layer.set_weights([rng.normal(0, 0.3, w.shape).astype("float32")
                               for w in layer.get_weights()])
    return g


def test_the_session_adds_undoes_and_clears_hints(hinted):
    photo = np.zeros((40, 64, 3), np.uint8)
    photo[:, 32:] = (200, 100, 20)  # orange right half
    s = hw.HintSession(hinted, photo, render_size=64)
    automatic = s.colorized.copy()
    h = s.add(40, 10)  # true colour here: the photo's own
    assert h.rgb == (200, 100, 20) and h.hex == "#c86414"
    assert np.abs(s.colorized.astype(int) - automatic).max() > 0
    s.add(3, 3, "#00ff00")
    s.add(5, 5, (0, 0, 255))
    assert [x.hex for x in s.hints] == ["#c86414", "#00ff00", "#0000ff"]
    assert s.undo().hex == "#0000ff" and len(s.hints) == 2
    s.clear()
    assert s.hints == [] and np.array_equal(s.colorized, automatic)
    assert s.undo() is None
    marked = s.marked()
    assert marked.shape == photo.shape and marked.dtype == np.uint8
    with pytest.raises(HintError, match="outside"):
        s.add(64, 0, "#ffffff")
    with pytest.raises(HintError, match="#RRGGBB"):
        s.add(1, 1, "orange")
    assert s.hints == []


def test_a_large_photo_is_fitted_and_an_automatic_generator_refused(hinted):
    big = np.zeros((1200, 900, 3), np.uint8)
    s = hw.HintSession(hinted, big, render_size=64)
    assert (s.height, s.width) == (512, 384)
    base = models.build_pretrained_generator(32, 0.35, None, 8)
    with pytest.raises(HintError, match="takes no hints"):
        hw.HintSession(base, big)
