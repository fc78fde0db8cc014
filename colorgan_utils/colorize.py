"""Colorize your own photos: files or folders in, ``<stem>.png`` out at full resolution.

Taught in notebook 05; ``python -m colorgan_utils colorize`` calls :func:`colorize_files`.
Any size and mode (gray, 16-bit gray, RGB, RGBA, palette, CMYK). Colour photos are treated as
black-and-white ones: their colours are predicted, not kept. Unreadable files are reported by
name and skipped; the others are still written.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import numpy as np
from PIL import Image, UnidentifiedImageError

from colorgan_utils.models import colorize_image

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp"}


@dataclass
class ColorizeReport:
    """Files written and files skipped (with the reason)."""

    written: list[tuple[str, str]] = field(default_factory=list)  # (input, output)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (input, reason)


def read_photo(path: str | os.PathLike) -> np.ndarray:
    """Any photo file -> float32 RGB ``[H, W, 3]`` in [0, 1] (16-bit gray kept at full depth,
    alpha dropped, CMYK and palettes converted by Pillow)."""
    with Image.open(path) as im:
        im.load()
        if im.mode in ("I;16", "I;16B", "I;16L", "I"):
            arr = np.asarray(im, dtype=np.float64)
            top = 65535.0 if arr.max() > 255 else 255.0
            gray = (arr / top).astype(np.float32)
            return np.repeat(gray[..., None], 3, axis=-1)
        if im.mode == "F":
            gray = np.clip(np.asarray(im, dtype=np.float32), 0, 1)
            return np.repeat(gray[..., None], 3, axis=-1)
        return np.asarray(im.convert("RGB"), dtype=np.float32) / 255.0  # alpha is dropped


def expand_inputs(inputs: Iterable[str | os.PathLike]) -> list[Path]:
    """Files as given, and the image files inside given folders (sorted, not recursive)."""
    out: list[Path] = []
    for item in inputs:
        p = Path(item).expanduser()
        if p.is_dir():
            out += sorted(f for f in p.iterdir()
                          if f.is_file() and f.suffix.lower() in IMAGE_SUFFIXES)
        else:
            out.append(p)
    return out


def colorize_files(generator, inputs: Iterable[str | os.PathLike],
                   out_dir: str | os.PathLike, verbose: bool = True) -> ColorizeReport:
    """Colorize each input photo into ``out_dir/<stem>.png`` (``<stem>-2.png`` on a clash)."""
    out = Path(out_dir).expanduser()
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OSError(f"cannot create the output folder {out}: {exc}") from exc
    report = ColorizeReport()
    used: set[str] = set()
    for path in expand_inputs(inputs):
        try:
            photo = read_photo(path)
        except FileNotFoundError:
            report.skipped.append((str(path), "no such file"))
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
            report.skipped.append((str(path), f"cannot read the image: {exc}"))
        else:
            _, colour = colorize_image(generator, photo)
            stem, k = path.stem, 1
            while stem in used:
                k += 1
                stem = f"{path.stem}-{k}"
            used.add(stem)
            target = out / f"{stem}.png"
            Image.fromarray(np.round(colour * 255).astype(np.uint8)).save(target)
            report.written.append((str(path), str(target)))
            if verbose:
                print(f"{path} -> {target} ({photo.shape[1]}x{photo.shape[0]})")
            continue
        if verbose:
            print(f"skipped {report.skipped[-1][0]}: {report.skipped[-1][1]}")
    return report
