"""Colour hints: a few points of known colour given to the generator beside L.

A black-and-white photo does not say whether a collar is red or a chow orange; a person can.
Zhang, Zhu et al., *Real-Time User-Guided Image Colorization with Learned Deep Priors*
(SIGGRAPH 2017) train the network with randomly **simulated hints**, so that at use a few clicks
fix what it cannot know. Here a hint is a small square patch carrying one ab colour:

* the **hint map** ``[H, W, 2]``: the hint's ab (normalised, like the generator's output) on
  the patch's pixels, 0 elsewhere, and the **mask** ``[H, W, 1]``: 1 on the patch, 0 elsewhere;
* the hinted generator's input is ``[L, hint a, hint b, mask]`` (:func:`generator_input`); with
  no hints (mask 0) it is the automatic generator's input plus three zero channels.

Training simulates hints in the ``tf.data`` pipeline (:func:`simulate`, seeded): a random
number of points (geometric: some photos get none, a few get many), each a patch of random side
at a random place, carrying the mean true ab of its own photo under the patch. A person's hints
(:class:`Hint`: a pixel of the photo and a colour) become a hint map at the render size with
:func:`hint_map`. Taught in notebook 07 (``07_guide_the_colours.ipynb``).
"""

from __future__ import annotations

import json
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np

HINT_CHANNELS = 3  # hint a, hint b, mask (beside L)
# side in px (at the render size, 256 by default) of the patch a person's hint paints: about
# the middle of the training patches (1-5 px at 128 px)
USER_PATCH = 7


@dataclass(frozen=True)
class Sampling:
    """How hints are simulated for training: the number of points is geometric (after each
    point, another with probability ``1 - stop``; ``stop`` is also the share of photos with
    none), capped at ``max_points``; each point's patch side is uniform in
    ``1 .. max_patch`` px, its place uniform over the photo."""

    stop: float = 0.125
    max_points: int = 24
    max_patch: int = 5
    points: int | None = None  # exactly this many per photo instead (the curve of notebook 07)

    def __post_init__(self) -> None:
        if self.points is not None and self.points < 0:
            raise ValueError(f"points={self.points}: use 0 or more hints per photo")
        if not 0.0 < self.stop <= 1.0 or math.isnan(self.stop):
            raise ValueError(f"hint stop probability {self.stop}: use a value in (0, 1]")
        if self.max_points < 1 or self.max_patch < 1:
            raise ValueError(f"max_points={self.max_points}, max_patch={self.max_patch}: "
                             "use 1 or more")

    @property
    def mean_points(self) -> float:
        """The mean number of points per photo (before the cap): ``(1 - stop) / stop``."""
        return (1.0 - self.stop) / self.stop


def sampling_of(cfg: Any) -> Sampling | None:
    """The hint sampling a :class:`~colorgan_utils.config.Config` asks for (None: no hints)."""
    if not getattr(cfg, "hints", False):
        return None
    return Sampling(cfg.hint_stop, cfg.hint_max_points, cfg.hint_max_patch)


def simulate(ab: Any, seed: Any, sampling: Sampling = Sampling(),
             n_points: int | None = None) -> tuple[Any, Any]:
    """Simulated hints for a batch of true colours ``ab`` ``[B, H, W, 2]`` (normalised):
    ``(hint_ab [B, H, W, 2], mask [B, H, W, 1])``, float32.

    ``seed``: two integers (``tf.random.stateless_*``): the same seed gives the same hints.
    ``n_points`` (default ``sampling.points``): exactly this many points per photo (the curve
    of notebook 07) instead of the geometric number. Each point carries the mean of the
    photo's own ab under its patch; where patches overlap, their colours are averaged. Runs
    inside ``tf.data`` (vectorised: one set of ops per batch).
    """
    import tensorflow as tf

    n_points = sampling.points if n_points is None else n_points
    ab = tf.convert_to_tensor(ab, tf.float32)
    seed = tf.cast(tf.convert_to_tensor(seed), tf.int32)
    seeds = tf.random.experimental.stateless_split(seed, 4)
    shape = tf.shape(ab)
    b, h, w = shape[0], shape[1], shape[2]
    k = sampling.max_points if n_points is None else int(n_points)
    if k == 0:
        return tf.zeros_like(ab), tf.zeros_like(ab[..., :1])
    if n_points is None:
        # geometric: floor(log U / log(1 - stop)) points, capped
        u = tf.random.stateless_uniform([b], seeds[0], minval=1e-7, maxval=1.0)
        count = (tf.zeros([b], tf.int32) if sampling.stop >= 1.0 else tf.cast(
            tf.floor(tf.math.log(u) / math.log(1.0 - sampling.stop)), tf.int32))
        count = tf.minimum(count, k)
    else:
        count = tf.fill([b], k)
    active = tf.cast(tf.range(k)[None, :] < count[:, None], tf.float32)  # [B, K]
    side = tf.random.stateless_uniform([b, k], seeds[1], 1, sampling.max_patch + 1, tf.int32)
    side = tf.minimum(side, tf.minimum(h, w))
    top = _uniform_below(seeds[2], [b, k], h - side + 1)
    left = _uniform_below(seeds[3], [b, k], w - side + 1)
    rows = _band(top, side, h)  # [B, K, H]
    cols = _band(left, side, w)  # [B, K, W]
    area = tf.cast(side * side, tf.float32)[..., None]  # [B, K, 1]
    mean = tf.einsum("bkh,bhwc,bkw->bkc", rows, ab, cols) / area  # each patch's mean ab
    cover = tf.einsum("bkh,bkw,bk->bhw", rows, cols, active)[..., None]  # patches on a pixel
    summed = tf.einsum("bkh,bkw,bkc->bhwc", rows, cols, mean * active[..., None])
    mask = tf.cast(cover > 0, tf.float32)
    return summed / tf.maximum(cover, 1.0), mask


def _uniform_below(seed: Any, shape: list, limit: Any) -> Any:
    """Integers uniform in ``[0, limit)`` (``limit`` a tensor of ``shape``)."""
    import tensorflow as tf

    u = tf.random.stateless_uniform(shape, seed)
    return tf.minimum(tf.cast(u * tf.cast(limit, tf.float32), tf.int32), limit - 1)


def _band(start: Any, side: Any, n: Any) -> Any:
    """``[B, K, n]``: 1 on ``start .. start + side - 1``, else 0."""
    import tensorflow as tf

    i = tf.range(n)[None, None, :]
    return tf.cast((i >= start[..., None]) & (i < (start + side)[..., None]), tf.float32)


def generator_input(l_norm: Any, hint_ab: Any = None, mask: Any = None) -> Any:
    """The hinted generator's input ``[..., 4]``: L, the hint ab where the mask is 1 (0
    elsewhere, whatever ``hint_ab`` holds there) and the mask. No hints: three zero
    channels."""
    import tensorflow as tf

    l_norm = tf.convert_to_tensor(l_norm, tf.float32)
    if mask is None:
        return tf.concat([l_norm, tf.zeros_like(tf.repeat(l_norm, 3, axis=-1))], -1)
    mask = tf.cast(tf.convert_to_tensor(mask), tf.float32)
    return tf.concat([l_norm, tf.cast(hint_ab, tf.float32) * mask, mask], -1)


# ------------------------------------------------------------------ a person's hints


class HintError(ValueError):
    """A hint that cannot be used (bad text, colour, JSON, or a place outside the photo)."""


@dataclass(frozen=True)
class Hint:
    """A person's hint: the photo's own pixel (``x`` from the left, ``y`` from the top) and
    the colour it has there (sRGB, 0-255 each). Only its chroma is used: the photo keeps its
    own lightness."""

    x: int
    y: int
    rgb: tuple[int, int, int]

    @property
    def hex(self) -> str:
        return "#{:02x}{:02x}{:02x}".format(*self.rgb)


_HEX = re.compile(r"^#?([0-9a-fA-F]{6})$")


def parse_colour(text: str, where: str = "hint") -> tuple[int, int, int]:
    """``"#RRGGBB"`` (or ``RRGGBB``) -> ``(r, g, b)``; anything else is refused by name."""
    m = _HEX.match(str(text).strip())
    if not m:
        raise HintError(f"{where}: colour {text!r} is not #RRGGBB (six hex digits, e.g. "
                        "#d2691e)")
    v = m.group(1)
    return int(v[0:2], 16), int(v[2:4], 16), int(v[4:6], 16)


def parse_hint(text: str) -> Hint:
    """``"X,Y,#RRGGBB"`` (the command line's ``--hint``) -> :class:`Hint`."""
    parts = [p.strip() for p in str(text).split(",")]
    if len(parts) != 3:
        raise HintError(f"--hint {text!r}: use X,Y,#RRGGBB (pixel column, row, colour)")
    try:
        x, y = int(parts[0]), int(parts[1])
    except ValueError:
        raise HintError(f"--hint {text!r}: X and Y must be whole pixel numbers") from None
    return Hint(x, y, parse_colour(parts[2], f"--hint {text!r}"))


def read_hints(path: str | os.PathLike) -> list[Hint]:
    """Hints from a JSON file: a list of ``{"x": X, "y": Y, "color": "#RRGGBB"}`` (or an object
    with that list under ``"hints"``; ``"colour"`` is accepted too). A bad file is refused with
    its name and the entry at fault."""
    path = Path(path).expanduser()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise HintError(f"--hints {path}: cannot read it ({exc.strerror or exc})") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise HintError(f"--hints {path}: not valid JSON ({exc})") from None
    if isinstance(data, dict):
        data = data.get("hints")
    if not isinstance(data, list):
        raise HintError(f"--hints {path}: expected a list of {{\"x\", \"y\", \"color\"}} "
                        "objects (or {\"hints\": [...]})")
    hints = []
    for i, item in enumerate(data):
        where = f"--hints {path}, entry {i}"
        if not isinstance(item, dict):
            raise HintError(f"{where}: {item!r} is not an object with x, y and color")
        colour = item.get("color", item.get("colour"))
        x, y = item.get("x"), item.get("y")
        if (colour is None or isinstance(x, bool) or isinstance(y, bool)
                or not isinstance(x, int) or not isinstance(y, int)):
            raise HintError(f"{where}: needs whole-number x and y and a color, got {item!r}")
        hints.append(Hint(x, y, parse_colour(colour, where)))
    return hints


def check_inside(hints: Iterable[Hint], width: int, height: int, photo: str = "the photo"
                 ) -> None:
    """Refuse, by name, a hint outside a ``width`` x ``height`` photo."""
    for h in hints:
        if not (0 <= h.x < width and 0 <= h.y < height):
            raise HintError(f"hint {h.x},{h.y},{h.hex} is outside {photo} ({width} x {height} "
                            f"px: x in 0..{width - 1}, y in 0..{height - 1})")


def check_for_photo(inputs: Sequence[str | os.PathLike], hints: Sequence[Hint]) -> None:
    """Refuse, by name and before anything heavy is imported, hints that cannot be used: for
    anything but one photo file, or outside that photo (its upright size is read from the
    file's header only). The command line's ``colorize --hint`` calls it first."""
    if not hints:
        return
    if len(inputs) != 1 or not Path(inputs[0]).expanduser().is_file():
        raise HintError(f"hints are given in one photo's pixels: give one photo file, not "
                        f"{', '.join(str(i) for i in inputs)}")
    from PIL import Image, UnidentifiedImageError

    path = Path(inputs[0]).expanduser()
    try:
        with Image.open(path) as im:
            width, height = im.size
            if im.getexif().get(0x0112, 1) in (5, 6, 7, 8):  # EXIF: shown turned by 90 degrees
                width, height = height, width
    except (OSError, UnidentifiedImageError) as exc:
        raise HintError(f"{path}: cannot read its size to place the hints ({exc})") from None
    check_inside(hints, width, height, str(path))


def colour_ab(rgb: Sequence[int]) -> np.ndarray:
    """The normalised ab ``[2]`` of an sRGB colour (0-255 each): what a hint of it carries."""
    from skimage.color import rgb2lab

    from colorgan_utils.color import AB_SCALE

    lab = rgb2lab(np.asarray(rgb, np.float64).reshape(1, 1, 3) / 255.0)[0, 0]
    return (lab[1:] / AB_SCALE).astype(np.float32)


def render_pixel(x: int, y: int, photo_size: tuple[int, int],
                 render_size: tuple[int, int]) -> tuple[int, int]:
    """The render-size pixel ``(column, row)`` whose area holds the photo's pixel ``(x, y)``
    (``photo_size`` and ``render_size`` are ``(height, width)``)."""
    (h, w), (rh, rw) = photo_size, render_size
    return (min(rw - 1, int((x + 0.5) * rw / w)), min(rh - 1, int((y + 0.5) * rh / h)))


def hint_map(hints: Iterable[Hint], photo_size: tuple[int, int],
             render_size: tuple[int, int], patch: int = USER_PATCH
             ) -> tuple[np.ndarray, np.ndarray]:
    """A person's hints on a ``photo_size`` photo -> ``(hint_ab [h, w, 2], mask [h, w, 1])``
    at ``render_size`` (``(height, width)`` each): a ``patch`` x ``patch`` square around each
    hint's pixel carries its colour's ab; a later hint paints over an earlier one."""
    rh, rw = render_size
    ab = np.zeros((rh, rw, 2), np.float32)
    mask = np.zeros((rh, rw, 1), np.float32)
    half = patch // 2
    for h in hints:
        c, r = render_pixel(h.x, h.y, photo_size, render_size)
        rows = slice(max(0, r - half), min(rh, r - half + patch))
        cols = slice(max(0, c - half), min(rw, c - half + patch))
        ab[rows, cols] = colour_ab(h.rgb)
        mask[rows, cols] = 1.0
    return ab, mask


def true_colour(photo: np.ndarray, x: int, y: int, radius: int = 1) -> tuple[int, int, int]:
    """The photo's own colour around pixel ``(x, y)`` (the mean of a small square): the
    "true colour here" of the widget and the curve, for demos on colour photos."""
    img = np.asarray(photo)
    if img.dtype != np.uint8:
        img = np.clip(np.round(img.astype(np.float64) * 255.0), 0, 255)
    h, w = img.shape[:2]
    patch = img[max(0, y - radius):min(h, y + radius + 1),
                max(0, x - radius):min(w, x + radius + 1), :3]
    return tuple(int(round(float(v))) for v in patch.reshape(-1, 3).mean(0))  # type: ignore
