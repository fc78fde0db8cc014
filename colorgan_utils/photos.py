"""The one photo reader: every photo the package looks at is read by :func:`read_photo` -- the
training and evaluation pipelines (``data.decode_rgb``, inside ``tf.data``), ``colorize`` and
the upload in notebook 05 -- so a photo is the same picture everywhere.

Taught in notebook 01 (the data pipeline) and notebook 05 (your own photos). The EXIF
orientation is applied; 16-bit and float photos are scaled by their mode, not their values (a
dark 16-bit photo stays dark); alpha is dropped, CMYK and palettes are converted by Pillow;
photos above :data:`MAX_PIXELS` (and decompression bombs) are refused by name before they are
decoded. Importing this module loads no TensorFlow.
"""

from __future__ import annotations

import os
import warnings

import numpy as np
from PIL import Image, ImageOps

from colorgan_utils.errors import PhotoError

MAX_PIXELS = 110_000_000  # larger photos are refused: 12000 x 9000 (108 MP) peaks at 3.0 GiB


def read_photo(path: str | os.PathLike, max_pixels: int | None = None) -> np.ndarray:
    """Any photo file -> RGB ``[H, W, 3]``: ``uint8`` for 8-bit photos, ``float32`` in [0, 1]
    for 16-bit and float ones (scaled by the mode: a dark 16-bit photo stays dark). The EXIF
    orientation is applied, alpha dropped, CMYK and palettes converted by Pillow. Photos above
    ``max_pixels`` (default :data:`MAX_PIXELS`) are refused before decoding
    (:class:`PhotoError`)."""
    max_pixels = max_pixels or MAX_PIXELS
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            im = Image.open(path)
        except Image.DecompressionBombError as exc:
            raise PhotoError(f"{path}: refused as a decompression bomb ({exc})") from exc
    with im:
        w, h = im.size
        if w * h > max_pixels:
            raise PhotoError(f"{path}: {w}x{h} px ({w * h / 1e6:.0f} MP) is above the "
                             f"{max_pixels / 1e6:.0f} MP limit; downscale it first")
        im.load()
        ImageOps.exif_transpose(im, in_place=True)  # a copy of a 100 MP photo is 400 MB
        if im.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
            gray = np.asarray(im, dtype=np.float32) / 65535.0
            return np.repeat(np.clip(gray, 0, 1)[..., None], 3, axis=-1)
        if im.mode == "F":
            gray = np.clip(np.asarray(im, dtype=np.float32), 0, 1)
            return np.repeat(gray[..., None], 3, axis=-1)
        return np.asarray(im if im.mode == "RGB" else im.convert("RGB"), dtype=np.uint8)


def read_rgb(path: str | os.PathLike | bytes | np.ndarray) -> np.ndarray:
    """:func:`read_photo` as float32 RGB ``[H, W, 3]`` in [0, 1] (what ``tf.data`` decodes)."""
    if isinstance(path, np.ndarray):  # a string tensor, as tf.numpy_function hands it over
        path = path.item()
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    return as_float(read_photo(path))


def as_float(photo: np.ndarray) -> np.ndarray:
    """A :func:`read_photo` array as float32 in [0, 1] (8-bit photos divided by 255)."""
    if photo.dtype == np.uint8:
        return photo.astype(np.float32) / np.float32(255.0)
    return photo.astype(np.float32)
