"""Colorize your own photos at their own size: files or folders in, ``<stem>.png`` out.

Taught in notebook 02 (render size: why the net can run larger than it was trained, and where
that stops working) and notebook 05 (your own photos); ``python -m colorgan_utils colorize``
calls :func:`colorize_files`.

How a photo is colorized: its lightness L is computed at full resolution; the fully
convolutional generator runs on L resized so that the shorter side is ``render_size`` px
(aspect ratio kept, reflect-padded to the multiple the net needs, never squashed); its ab is
upsampled to full size and laid on the photo's own L, giving up chroma (never lightness) where
a colour falls outside sRGB. Colour photos are treated as black-and-white ones. A hinted
generator (notebook 07) also gets a person's colour hints (``--hint``, ``--hints``), drawn at
the render size (:func:`colorgan_utils.hints.hint_map`); with none, an empty hint map.

Odd files: the EXIF orientation is applied first; 16-bit photos are scaled by their mode,
not their values; photos above :data:`MAX_PIXELS` (and decompression bombs) are refused by
name before they are decoded; unsupported or unreadable files are listed as skipped; every
output is written under a temporary name and renamed, so an interruption never leaves a
half-written PNG; an input file is never overwritten. The full-size work is done in strips
of about :data:`STRIP_PIXELS` pixels, the upsampling of ab included (the whole upsampled ab of a
12000 x 9000 photo would be 864 MB): peak memory 2.5 GB for that photo, the largest accepted
(``docs/performance.md``).
"""

from __future__ import annotations

import concurrent.futures as cf
import math
import os
import threading
import weakref
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

import numpy as np
import tensorflow as tf
from PIL import Image, UnidentifiedImageError

from colorgan_utils import color
from colorgan_utils.config import RENDER_SIZE  # noqa: F401  (the default; config owns it)
from colorgan_utils.errors import PhotoError
from colorgan_utils.hints import Hint, HintError, check_inside, hint_map
from colorgan_utils.photos import MAX_PIXELS, as_float, read_photo  # noqa: F401 (re-exported)
from colorgan_utils.models import render_multiple, takes_hints

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp"}
STRIP_PIXELS = 4_000_000  # full-size work is done in strips of about this many pixels
MAX_RENDER_PIXELS = 4_194_304  # the generator runs on at most 2048 x 2048 px (memory-bounded)


@dataclass
class ColorizeReport:
    """Files written and files skipped (with the reason)."""

    written: list[tuple[str, str]] = field(default_factory=list)  # (input, output)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (input, reason)

    @property
    def exit_status(self) -> int:
        """The CLI's status: 0 when every input was written, 1 when some were skipped."""
        return 1 if self.skipped or not self.written else 0


def render_shape(height: int, width: int, render_size: int, multiple: int = 1,
                 max_pixels: int = MAX_RENDER_PIXELS) -> tuple[int, int]:
    """``(h, w)`` with the shorter side ``render_size`` and the photo's aspect ratio, within
    ``max_pixels`` (a larger render size, or a photo of extreme aspect ratio such as 1 x 10000,
    is rendered smaller; each side at least ``multiple``, so a sliver is squashed rather than
    rendered as millions of pixels)."""
    scale = min(render_size / min(height, width), math.sqrt(max_pixels / (height * width)))
    h, w = max(multiple, round(height * scale)), max(multiple, round(width * scale))
    if h * w > max_pixels:  # only a sliver thinner than `multiple` gets here
        if h > w:
            h = max(multiple, max_pixels // w)
        else:
            w = max(multiple, max_pixels // h)
    return h, w


class Colorizer:
    """Colorizes photos of any size with one generator (:meth:`__call__`). Four compiled
    functions serve every photo shape (no re-tracing per size)."""

    def __init__(self, generator: Any, render_size: int = RENDER_SIZE) -> None:
        self.generator = generator
        self.render_size = int(render_size)
        self.multiple = render_multiple(generator)
        if render_size < self.multiple:
            raise ValueError(f"render_size={render_size}: this generator needs at least "
                             f"{self.multiple} px")
        self._lightness = {dtype: tf.function(self._lightness_fn, input_signature=[
            tf.TensorSpec([None, None, 3], dtype), tf.TensorSpec([], tf.int32)])
            for dtype in (tf.uint8, tf.float32)}
        self.hinted = takes_hints(generator)
        self._predict = tf.function(self._predict_fn, input_signature=[
            tf.TensorSpec([None, None, 1], tf.float32), tf.TensorSpec([2], tf.int32),
            tf.TensorSpec([None, None, 3], tf.float32)])
        self._compose = tf.function(self._compose_fn, input_signature=[
            tf.TensorSpec([None, None, 1], tf.float32), tf.TensorSpec([None, None, 2], tf.float32),
            tf.TensorSpec([3], tf.int32)])

    @staticmethod
    def _lightness_fn(rgb: tf.Tensor, render_width: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        l_norm = color.lightness_normalized(rgb)
        # along its rows only (its height kept): rows are resized independently, so strips
        # resized one by one are the whole photo resized along its width
        narrow = tf.image.resize(l_norm, tf.stack([tf.shape(l_norm)[0], render_width]),
                                 antialias=True)
        return l_norm, narrow

    def _predict_fn(self, l_narrow: tf.Tensor, render: tf.Tensor, hint: tf.Tensor) -> tf.Tensor:
        small = tf.image.resize(l_narrow, render, antialias=True)  # now along its height
        m = self.multiple
        pad_h = (m - render[0] % m) % m
        pad_w = (m - render[1] % m) % m
        padded = tf.pad(small, [[0, pad_h], [0, pad_w], [0, 0]], mode="SYMMETRIC")
        if self.hinted:  # the hint map and mask at the render size (none: zeros), padded with 0
            hint = tf.pad(hint, [[0, pad_h], [0, pad_w], [0, 0]])
            padded = tf.concat([padded, hint], -1)
        ab = self.generator(padded[None], training=False)[0]
        return tf.cast(ab, tf.float32)[: render[0], : render[1]]

    @staticmethod
    def _compose_fn(l_norm: tf.Tensor, ab: tf.Tensor, where: tf.Tensor) -> tf.Tensor:
        # rows where[0]... of ab resized to the photo's size where[1:] (bilinear, half-pixel
        # centres, as tf.image.resize): one strip of the full-size ab, never the whole of it
        full = tf.cast(where[1:], tf.float32)
        ab_strip = tf.raw_ops.ScaleAndTranslate(
            images=ab[None], size=tf.stack([tf.shape(l_norm)[0], where[2]]),
            scale=full / tf.cast(tf.shape(ab)[:2], tf.float32),
            translation=tf.stack([-tf.cast(where[0], tf.float32), 0.0]),
            kernel_type="triangle", antialias=False)[0]
        rgb = color.lab_to_rgb_keep_lightness_sparse(color.denormalize_lab(l_norm, ab_strip))
        return tf.cast(tf.round(rgb * 255.0), tf.uint8)

    def _rows(self, width: int) -> int:
        return max(1, STRIP_PIXELS // max(width, 1))

    def lightness(self, photo: np.ndarray, render_width: int) -> tuple[np.ndarray, tf.Tensor]:
        """L of a photo (``uint8`` or float RGB) in [-1, 1] by strips: at full size,
        ``[H, W, 1]`` float32, and resized along its width to ``render_width`` (a tensor)."""
        h, w = photo.shape[:2]
        rows = self._rows(w)
        out = np.empty((h, w, 1), np.float32)
        narrow = []
        dtype = tf.uint8 if photo.dtype == np.uint8 else tf.float32
        for r in range(0, h, rows):
            strip, small = self._lightness[dtype](tf.constant(photo[r:r + rows], dtype),
                                                  tf.constant(render_width))
            out[r:r + rows] = strip.numpy()
            narrow.append(small)
        return out, tf.concat(narrow, 0)

    def compose(self, l_full: np.ndarray, ab: tf.Tensor) -> np.ndarray:
        """The colorized photo, ``uint8`` ``[H, W, 3]``: ``ab`` at the render size upsampled
        and laid on the full-size L, strip by strip."""
        h, w = l_full.shape[:2]
        rows = self._rows(w)
        out = np.empty((h, w, 3), np.uint8)
        for r in range(0, h, rows):
            out[r:r + rows] = self._compose(tf.constant(l_full[r:r + rows]), ab,
                                            tf.constant([r, h, w])).numpy()
        return out

    def hint_input(self, hints: Sequence[Hint], photo_size: tuple[int, int],
                   render: tuple[int, int]) -> tf.Tensor:
        """``[rh, rw, 3]``: the hint ab and mask of a person's ``hints`` at the render size
        (zeros for none); hints for a generator that takes none are refused."""
        if hints and not self.hinted:
            raise HintError("this generator takes no hints: use the hinted one "
                            "(runs.generator_path('shipped:hints'))")
        hint_ab, mask = hint_map(hints or [], photo_size, render)
        return tf.constant(np.concatenate([hint_ab, mask], -1))

    def __call__(self, photo: Any, hints: Sequence[Hint] = ()) -> tuple[np.ndarray, np.ndarray]:
        """``(gray, colorized)`` of one photo: gray ``[H, W]`` float32 in [0, 1] (L / 100),
        colorized ``[H, W, 3]`` ``uint8`` at the photo's own size, with the photo's own L.
        ``hints`` (:class:`~colorgan_utils.hints.Hint`, in the photo's pixels) need a hinted
        generator; with none, a hinted generator runs the same path with an empty hint map."""
        photo = _as_rgb(photo)
        h, w = photo.shape[:2]
        check_inside(hints, w, h)
        render = render_shape(h, w, self.render_size, self.multiple)
        hint = self.hint_input(hints, (h, w), render)
        l_full, l_narrow = self.lightness(photo, render[1])
        del photo
        out = self.compose(l_full, self._predict(l_narrow, tf.constant(render), hint))
        gray = l_full[..., 0]  # in place: a 100 MP photo's L is 400 MB
        gray += 1.0
        gray /= 2.0
        return gray, out


def _as_rgb(image: Any) -> np.ndarray:
    """Any photo array -> ``uint8`` or float32 RGB ``[H, W, 3]`` (gray repeated, alpha dropped;
    uint16 scaled by 65535)."""
    img = np.asarray(image)
    if img.ndim == 2:
        img = img[..., None]
    if img.ndim != 3 or img.shape[-1] not in (1, 3, 4):
        raise ValueError(f"a photo needs shape [H, W] or [H, W, 1/3/4], got {img.shape}")
    if img.shape[-1] == 1:
        img = np.repeat(img, 3, axis=-1)
    img = img[..., :3]
    if img.dtype == np.uint8:
        return img
    if img.dtype == np.uint16:
        return (img.astype(np.float32) / 65535.0)
    return np.clip(img.astype(np.float32), 0.0, 1.0)


_CACHE: "weakref.WeakKeyDictionary[Any, dict[int, Colorizer]]" = weakref.WeakKeyDictionary()


def colorizer_for(generator: Any, render_size: int = RENDER_SIZE) -> Colorizer:
    """A :class:`Colorizer`, kept per generator and render size (compiled once)."""
    per_size = _CACHE.setdefault(generator, {})
    if render_size not in per_size:
        per_size[render_size] = Colorizer(generator, render_size)
    return per_size[render_size]


def colorize_image(generator: Any, image: Any, render_size: int = RENDER_SIZE,
                   hints: Sequence[Hint] = ()) -> tuple[np.ndarray, np.ndarray]:
    """Colorize one photo array of any size at full resolution; returns ``(gray, colorized)``
    as float32 in [0, 1] (``[H, W]`` and ``[H, W, 3]``). ``hints``: colour hints in the
    photo's pixels, for a hinted generator (notebook 07). See :class:`Colorizer`."""
    gray, out = colorizer_for(generator, render_size)(image, hints)
    return gray, out.astype(np.float32) / 255.0


def refuse_hints(generator: Any, name: Any) -> None:
    """Refuse, by name, hints for a generator that takes none."""
    if not takes_hints(generator):
        raise HintError(f"{name}: this generator takes no hints; leave --run out (the shipped "
                        "hinted generator is used) or give a run trained with --preset hints")


def expand_inputs(inputs: Iterable[str | os.PathLike]) -> tuple[list[Path], list[tuple[str, str]]]:
    """Files as given, and the files inside given folders (sorted, not recursive); returns
    ``(photos, skipped)`` where ``skipped`` lists the folder entries that are not a
    supported image type, and a given folder that holds only sub-folders (hidden files are
    ignored)."""
    photos: list[Path] = []
    skipped: list[tuple[str, str]] = []
    for item in inputs:
        p = Path(item).expanduser()
        if p.is_dir():
            found, folders = 0, 0
            for f in sorted(p.iterdir()):
                folders += f.is_dir() and not f.name.startswith(".")
                if f.is_symlink() and not f.exists() and not f.name.startswith("."):
                    skipped.append((str(f), "a link to nothing (its target is missing, or it "
                                            "links to itself)"))
                    continue
                if f.name.startswith(".") or not f.is_file():
                    continue
                if f.suffix.lower() in IMAGE_SUFFIXES:
                    photos.append(f)
                    found += 1
                else:
                    skipped.append((str(f), f"not a supported image type ({f.suffix or 'none'};"
                                            f" use {', '.join(sorted(IMAGE_SUFFIXES))})"))
            if not found and folders:  # e.g. the dataset's Images/ folder, a folder per breed
                skipped.append((str(p), f"holds no photos, only {folders} folder(s): colorize "
                                        f"does not search inside them; name them instead "
                                        f"(e.g. {p}/*)"))
        elif p.exists() and not p.is_file():  # a named pipe or a device: never read (it can hang)
            skipped.append((str(p), "not a regular file (a pipe, socket or device)"))
        elif p.is_symlink() and not p.exists():
            skipped.append((str(p), "a link to nothing (its target is missing, or it links to "
                                    "itself)"))
        else:
            photos.append(p)
    return photos, skipped


def _read(path: Path) -> np.ndarray | str:
    """The photo, or the reason it cannot be read."""
    try:
        return read_photo(path)
    except FileNotFoundError:
        return "no such file"
    except PhotoError as exc:
        return str(exc).removeprefix(f"{path}: ")
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        return f"cannot read the image: {exc}"


def _write_png(image: np.ndarray, target: Path) -> str | None:
    """Write atomically (temporary name, then rename over the name :func:`claim_name` took);
    returns an error message or None (the claim is then given back)."""
    tmp = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        Image.fromarray(image).save(tmp, format="PNG", compress_level=1)
        os.replace(tmp, target)
        return None
    except OSError as exc:
        _release(target)
        return f"cannot write {target}: {exc.strerror or exc}"
    finally:
        if tmp.exists():
            tmp.unlink()


def claim_name(out: Path, stem: str, taken: set[Path] = frozenset()) -> Path:
    """Claim ``out/<stem>.png`` (else ``<stem>-2.png``, ``-3`` ...) by creating it empty and
    exclusively (``O_EXCL``): of two ``colorize`` processes writing into one folder, only one
    can claim a name, so neither overwrites the other's photo, nor any file already there.
    ``taken``: names never to use (the inputs themselves)."""
    k, name = 1, stem
    while True:
        target = out / f"{name}.png"
        if target.resolve() not in taken:
            try:
                os.close(os.open(target, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
                return target
            except FileExistsError:
                pass
        k += 1
        name = f"{stem}-{k}"


def _release(target: Path) -> None:
    """Give back a claimed name that was never written (an empty file of ours)."""
    try:
        if target.stat().st_size == 0:
            target.unlink()
    except OSError:
        pass


def _prefetch(paths: list[Path], pool: cf.Executor, ahead: int = 4
              ) -> Iterator[tuple[Path, np.ndarray | str]]:
    """Read photos in the background, ``ahead`` at a time, in order; a photo is held only
    until it has been handed out (a folder of any length costs ``ahead`` photos of memory)."""
    futures = deque(pool.submit(_read, p) for p in paths[:ahead])
    for i, path in enumerate(paths):
        if i + ahead < len(paths):
            futures.append(pool.submit(_read, paths[i + ahead]))
        yield path, futures.popleft().result()


def colorize_files(generator: Any, inputs: Iterable[str | os.PathLike],
                   out_dir: str | os.PathLike, render_size: int = RENDER_SIZE,
                   verbose: bool = True, hints: Sequence[Hint] = ()) -> ColorizeReport:
    """Colorize each input photo into ``out_dir/<stem>.png`` (``<stem>-2.png`` on a clash with
    another output, an input file or any file already in ``out_dir``, also one another
    ``colorize`` writes at the same time: nothing is overwritten, :func:`claim_name`). Reading
    and writing overlap with the network. ``hints`` (a hinted generator's colour hints, in
    the photo's pixels) are for one photo: check them first with
    :func:`colorgan_utils.hints.check_for_photo`."""
    out = Path(out_dir).expanduser()
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OSError(f"cannot create the output folder {out}: {exc}") from exc
    photos, skipped = expand_inputs(inputs)
    report = ColorizeReport(skipped=list(skipped))
    for path, reason in skipped:
        if verbose:
            print(f"skipped {path}: {reason}")
    inputs_resolved = {p.resolve() for p in photos if p.exists()}
    colorizer = colorizer_for(generator, render_size)
    claimed: list[Path] = []
    pending: list[tuple[Path, Path, cf.Future]] = []
    sizes: dict[Path, str] = {}

    def finish(item: tuple[Path, Path, cf.Future]) -> None:
        src, target, future = item
        error = future.result()
        if error:
            report.skipped.append((str(src), error))
            if verbose:
                print(f"skipped {src}: {error}")
        else:
            report.written.append((str(src), str(target)))
            if verbose:  # said once the file is really there
                print(f"{src} -> {target} ({sizes.pop(target)})")

    try:
        with cf.ThreadPoolExecutor(2) as readers, cf.ThreadPoolExecutor(2) as writers:
            for path, photo in _prefetch(photos, readers):
                if isinstance(photo, str):
                    report.skipped.append((str(path), photo))
                    if verbose:
                        print(f"skipped {path}: {photo}")
                    continue
                _, colour = colorizer(photo, hints)
                # never overwrite: an input, an output of this or another run, any file there
                try:
                    target = claim_name(out, path.stem, inputs_resolved)
                except OSError as exc:
                    report.skipped.append((str(path), f"cannot write into {out}: "
                                                      f"{exc.strerror or exc}"))
                    continue
                claimed.append(target)
                pending.append((path, target, writers.submit(_write_png, colour, target)))
                sizes[target] = f"{photo.shape[1]}x{photo.shape[0]}"
                while pending and pending[0][2].done():
                    finish(pending.pop(0))
            for item in pending:
                finish(item)
    finally:  # interrupted: names claimed but never written are given back
        for target in claimed:
            _release(target)  # only an empty file: a written photo is never removed
    return report


def compare_photos(generator: Any, paths: Iterable[str | os.PathLike],
                   render_size: int = RENDER_SIZE
                   ) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
    """Whole photos at their own size for figures and the slider: ``(originals, grays,
    colorized)``, lists of float arrays in [0, 1] (``[H, W, 3]``, ``[H, W]``, ``[H, W, 3]``)."""
    colorizer = colorizer_for(generator, render_size)
    originals, grays, colours = [], [], []
    for path in paths:
        photo = read_photo(path)
        gray, colour = colorizer(photo)
        originals.append(as_float(photo))
        grays.append(gray)
        colours.append(colour.astype(np.float32) / 255.0)
    return originals, grays, colours
