"""The slider, the quiz, the upload and the hint widget with ipywidgets 8 (this environment)
and 7 (Colab's preinstalled 7.7.1, which our requirements no longer upgrade): the same script
runs in a subprocess under each. ipywidgets 7 is installed once into a cache folder with pip
(``COLORGAN_IPYWIDGETS7`` names another folder that holds it)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

IPYWIDGETS7 = ["ipywidgets==7.7.1", "ipython_genutils==0.2.0"]

SCRIPT = r'''
import io, json, sys
import numpy as np
from PIL import Image
import ipywidgets
from colorgan_utils import widgets

rng = np.random.default_rng(0)
orig = [rng.uniform(0, 1, (24, 40, 3)), rng.uniform(0, 1, (32, 16, 3))]
gray = [np.repeat(o.mean(-1, keepdims=True), 3, -1) for o in orig]
colz = [np.clip(o * 0.5 + 0.2, 0, 1) for o in orig]
out = {"version": ipywidgets.__version__}

box = widgets.comparison_slider(orig, gray, colz)
c = box.controls
first = c["view"].value
c["wipe"].value = 0.1
moved = c["view"].value
c["photo"].value = 1
out["slider"] = [first != moved, moved != c["view"].value, str(c["view"].width),
                 str(c["view"].height)]

q = widgets.quiz(np.stack([orig[0]] * 3), np.stack([colz[0]] * 3), scale=1)
buttons = q.children[1].children
for _ in range(3):
    buttons[0].click()
out["quiz"] = [q.state.done, len(q.state.answers), buttons[0].disabled]

buf = io.BytesIO()
Image.fromarray((orig[0] * 255).astype("uint8")).save(buf, format="PNG")
png = buf.getvalue()
up = widgets.upload_widget()
if ipywidgets.__version__.startswith("7."):  # what the browser sends, as 7 stores it
    up.metadata = [{"name": "dog.png", "type": "image/png", "size": len(png),
                    "lastModified": 0}]
    up.data = [png]
    up._counter = 1
else:
    import datetime
    up.value = ({"name": "dog.png", "type": "image/png", "size": len(png),
                 "content": memoryview(png),
                 "last_modified": datetime.datetime.now(datetime.timezone.utc)},)
files = widgets.uploaded_files(up)
out["upload"] = [[n for n, _ in files], [b == png for _, b in files]]

# the hint widget (notebook 07): a click on the photo shown at half size places a hint at the
# photo's own pixel, the colorization changes, undo takes it back; without ipyevents: sliders
from colorgan_utils import hint_widget, models
base = models.build_pretrained_generator(32, 0.35, None, 8)
base.get_layer("to_ab").set_weights([np.full(w.shape, 0.01, "float32")
                                     for w in base.get_layer("to_ab").get_weights()])
hinted = models.hinted_generator(base)
for layer in hinted.layers:
    if layer.name.startswith("hints") and layer.weights:
        layer.set_weights([rng.normal(0, 0.3, w.shape).astype("float32")
                           for w in layer.get_weights()])
photo = (rng.uniform(0, 1, (48, 80, 3)) * 255).astype("uint8")
box = hint_widget.hint_widget(hinted, photo, render_size=64)
before = box.session.colorized.copy()
box.on_click({"type": "click", "relativeX": 30.5, "relativeY": 10.2,
              "boundingRectWidth": 40, "boundingRectHeight": 24})
h = box.session.hints[0]
changed = bool(np.abs(box.session.colorized.astype(int) - before).max() > 0)
box.controls["undo"].click()
undone = bool(np.array_equal(box.session.colorized, before))
fallback = hint_widget.hint_widget(hinted, photo, render_size=64, use_clicks=False)
fallback.controls["x"].value, fallback.controls["y"].value = 5, 7
fallback.controls["add"].click()
out["hints"] = [[h.x, h.y, h.hex], changed, undone, "events" in box.controls,
                [fallback.session.hints[0].x, fallback.session.hints[0].y]]
print(json.dumps(out))
'''


@pytest.fixture(scope="session")
def ipywidgets7() -> Path:
    folder = Path(os.environ.get("COLORGAN_IPYWIDGETS7")
                  or Path.home() / ".cache" / "colorgan" / "ipywidgets-7.7.1")
    if not (folder / "ipywidgets" / "__init__.py").is_file():
        done = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps",
                               "--target", str(folder), *IPYWIDGETS7],
                              capture_output=True, text=True)
        if done.returncode:
            pytest.fail(f"could not install {IPYWIDGETS7} into {folder} (needs the package "
                        f"index once; or set COLORGAN_IPYWIDGETS7):\n{done.stderr[-1500:]}")
    return folder


def _run(pythonpath: Path | None) -> dict:
    import json

    env = dict(os.environ)
    if pythonpath is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(pythonpath), env.get("PYTHONPATH", "")])
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                          env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("major", [7, 8])
def test_widgets_work_with_ipywidgets_7_and_8(major, request):
    out = _run(request.getfixturevalue("ipywidgets7") if major == 7 else None)
    assert out["version"].startswith(f"{major}.")
    moved_wipe, moved_photo, width, height = out["slider"]
    assert moved_wipe and moved_photo
    assert (width, height) == ("32", "64")  # photo 2 (32x16) shown 2x, at its own aspect
    assert out["quiz"] == [True, 3, True]
    assert out["upload"] == [["dog.png"], [True]]
    # the click at (30.5, 10.2) on an 80 x 48 photo shown at 40 x 24 is its pixel (61, 20)
    assert out["hints"] == [[61, 20, "#d2691e"], True, True, True, [5, 7]]
