"""The interactive parts of notebook 05: the comparison slider, the "real or colorized?" quiz
and the photo upload. Each widget is a thin shell over plain functions and state that tests
drive without a browser.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from colorgan_utils.env import enable_colab_widgets  # noqa: F401  (kept importable here)
from colorgan_utils.viz import wipe

PAIRS = {  # the first is the slider's default: does the colorization look like the photo?
    "colorized | original": ("colorized", "original"),
    "colorized | gray": ("colorized", "gray"),
    "original | gray": ("original", "gray"),
}
DIVIDER = 2  # px: the white line at the wipe


def encode_image(image: np.ndarray, scale: int = 1, fmt: str = "PNG", **options: Any) -> bytes:
    """An RGB (or gray) float image in [0, 1] as ``fmt`` bytes (PIL), enlarged ``scale`` times."""
    from PIL import Image

    x = np.asarray(image, np.float32)
    if x.ndim == 3 and x.shape[-1] == 1:
        x = x[..., 0]
    im = Image.fromarray(np.round(np.clip(x, 0, 1) * 255).astype(np.uint8))
    if scale > 1:
        im = im.resize((im.width * scale, im.height * scale), Image.NEAREST)
    buf = io.BytesIO()
    im.save(buf, format=fmt, **options)
    return buf.getvalue()


def to_png(image: np.ndarray, scale: int = 1) -> bytes:
    """An RGB (or gray) float image in [0, 1] as PNG bytes, enlarged ``scale`` times."""
    return encode_image(image, scale, "PNG")


def to_jpeg(image: np.ndarray, scale: int = 1, quality: int = 90) -> bytes:
    """The same as JPEG bytes: what the slider sends on each move, several times smaller than a
    PNG of a photo."""
    return encode_image(image, scale, "JPEG", quality=quality)


def comparison_frame(images: dict[str, np.ndarray], index: int, pair: str,
                     position: float, divider: int = DIVIDER) -> np.ndarray:
    """What the slider shows: image ``index``, the left version of ``pair`` up to
    ``position`` (0..1 of the width), the right one after it, and a white line ``divider`` px
    wide at the wipe (none at the edges, where one version fills the picture)."""
    left, right = PAIRS[pair]
    frame = wipe(images[left][index], images[right][index], position)
    width = frame.shape[1]
    cut = int(round(float(np.clip(position, 0.0, 1.0)) * width))
    if divider and 0 < cut < width:
        start = min(max(cut - divider // 2, 0), width - divider)
        frame[:, start:start + divider] = 1.0
    return frame


def display_scale(image: np.ndarray, target: int = 384) -> int:
    """Whole-number enlargement for showing a small image: up to ``target`` px on its longer
    side, never more than 2x (a 128 px crop is shown at 256 px, a photo at its own size)."""
    longest = max(np.asarray(image).shape[:2])
    return int(max(1, min(2, target // max(longest, 1))))


def comparison_slider(originals: Any, grays: Any, colorized: Any,
                      scale: int | None = None) -> Any:
    """An ipywidgets slider: choose the photo, the pair ("colorized | original" first), and
    wipe across the picture, a white line marking the wipe. The images may differ in size
    (whole photos); each is shown at its own size, small ones enlarged at most 2x
    (``scale=None``), never stretched to the output's width. The picture is redrawn when a
    slider is let go, as a JPEG."""
    import ipywidgets as w

    images = {"original": originals, "gray": grays, "colorized": colorized}
    # a new picture when a slider is let go, not on every pixel of a drag: each one is a JPEG
    # sent from the kernel, which on Colab would stutter
    pick = w.IntSlider(0, 0, len(originals) - 1, description="photo", continuous_update=False)
    pair = w.Dropdown(options=list(PAIRS), value=next(iter(PAIRS)), description="compare")
    pos = w.FloatSlider(0.5, min=0.0, max=1.0, step=0.01, description="wipe",
                        continuous_update=False)
    # capped to the output's width, the height following (CSS beats the width/height set below)
    view = w.Image(format="jpeg", layout=w.Layout(max_width="100%", height="auto"))

    def redraw(_: Any = None) -> None:
        frame = comparison_frame(images, pick.value, pair.value, pos.value)
        k = scale or display_scale(frame)
        view.value = to_jpeg(frame, k)
        view.width, view.height = frame.shape[1] * k, frame.shape[0] * k

    for control in (pick, pair, pos):
        control.observe(redraw, names="value")
    redraw()
    # the controls above the picture, wrapping on a narrow page rather than leaving it
    box = w.VBox([w.HBox([pick, pair], layout=w.Layout(flex_flow="row wrap")), pos, view])
    box.controls = {"photo": pick, "pair": pair, "wipe": pos, "view": view}
    return box


@dataclass
class QuizState:
    """A two-alternative forced-choice study, as in pix2pix and Zhang et al.: each trial shows a
    real and a colorized photo in random order; the player picks the real one. The fooling
    rate is the share of trials in which the colorized photo was picked."""

    n_trials: int
    seed: int = 0
    answers: list[bool] = field(default_factory=list)  # True = fooled

    def __post_init__(self) -> None:
        rng = random.Random(self.seed)
        self.order = rng.sample(range(self.n_trials), self.n_trials)
        self.real_on_left = [rng.random() < 0.5 for _ in range(self.n_trials)]

    @property
    def done(self) -> bool:
        return len(self.answers) >= self.n_trials

    def current(self) -> tuple[int, bool]:
        """(photo index, real shown on the left) of the trial being asked."""
        i = len(self.answers)
        return self.order[i], self.real_on_left[i]

    def answer(self, picked_left: bool) -> bool:
        """Record a choice; returns True if it was right (the real photo was picked)."""
        if self.done:
            raise RuntimeError("the quiz is over")
        _, real_left = self.current()
        right = picked_left == real_left
        self.answers.append(not right)
        return right

    @property
    def fooling_rate(self) -> float:
        return float(np.mean(self.answers)) if self.answers else float("nan")

    def interval(self, z: float = 1.96) -> tuple[float, float]:
        """The Wilson score interval (95% by default) of the fooling rate: with 10 trials it
        is wide, and it says so."""
        n = len(self.answers)
        if not n:
            return float("nan"), float("nan")
        p = self.fooling_rate
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
        return float(max(0.0, centre - half)), float(min(1.0, centre + half))


NOT_COMPARABLE = (
    "Not comparable with the published figures (pix2pix: 22.5%, Zhang et al.: 32%): their "
    "Mechanical Turk players saw each pair for about one second, at 256 px, and many players "
    "each answered many pairs; here you look as long as you like, at whole photos, alone.")


def quiz(real: Any, colorized: Any, n_trials: int | None = None, seed: int = 0,
         scale: int | None = None) -> Any:
    """The "real or colorized?" quiz widget: two photos side by side, click the real one. The
    photos may differ in size (whole photos: each shown at its own size, small ones enlarged at
    most 2x when ``scale`` is None). After each answer the player is told whether it was right;
    at the end, the fooling rate with its 95% interval and why it is not the published one."""
    import ipywidgets as w

    state = QuizState(n_trials or len(real), seed)
    left, right = w.Image(format="png"), w.Image(format="png")
    b_left = w.Button(description="left is real")
    b_right = w.Button(description="right is real")
    feedback, status = w.HTML(), w.HTML()

    def draw(view: Any, image: np.ndarray) -> None:
        k = scale or display_scale(image, 320)
        view.value = to_png(image, k)
        view.width, view.height = image.shape[1] * k, image.shape[0] * k

    def show() -> None:
        if state.done:
            low, high = state.interval()
            status.value = (f"<b>Done.</b> You were fooled in {state.fooling_rate:.0%} of "
                            f"{state.n_trials} trials (95% interval {low:.0%} to {high:.0%}; "
                            f"50% = indistinguishable). {NOT_COMPARABLE}")
            b_left.disabled = b_right.disabled = True
            return
        i, real_left = state.current()
        a, b = (real[i], colorized[i]) if real_left else (colorized[i], real[i])
        draw(left, np.asarray(a))
        draw(right, np.asarray(b))
        status.value = f"trial {len(state.answers) + 1} of {state.n_trials}: which is real?"

    def click(picked_left: bool) -> None:
        _, real_left = state.current()
        right_answer = state.answer(picked_left)
        side = "left" if real_left else "right"
        feedback.value = (f"<b>Right</b>: the {side} one was the real photo." if right_answer
                          else f"<b>Fooled</b>: the {side} one was the real photo.")
        show()

    b_left.on_click(lambda _: click(True))
    b_right.on_click(lambda _: click(False))
    show()
    box = w.VBox([w.HBox([left, right]), w.HBox([b_left, b_right]), feedback, status])
    box.state = state
    return box


def upload_widget() -> Any:
    """``ipywidgets.FileUpload`` for photos (outside Colab; on Colab use ``files.upload()``)."""
    import ipywidgets as w

    return w.FileUpload(accept="image/*", multiple=True, description="Upload photos")


def uploaded_files(upload: Any) -> list[tuple[str, bytes]]:
    """(name, bytes) of what a FileUpload widget holds, with ipywidgets 8 (a tuple of dicts)
    or 7 (Colab's preinstalled version: a dict ``{name: {"metadata", "content"}}``)."""
    value = upload.value
    if isinstance(value, dict):  # ipywidgets 7
        return [(name, bytes(item["content"])) for name, item in value.items()]
    return [(item["name"], bytes(item["content"])) for item in value]
