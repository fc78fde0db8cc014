"""Photos/s of ``colorize`` on 2 cores: the new pipeline against the per-photo path it replaced.

Not a test. Writes ``--n`` photos of at most ``--max-side`` px (real test photos, resized so the
longer side is between 300 and ``--max-side``) to a temporary folder, then times, side by side in
one run, after a warm-up (start-up and tracing excluded):

1. ``colorize_files`` (one compiled function for every shape, reads and PNG writes overlapped
   with the network) at the default render size 256;
2. the same photos one by one, eagerly (read, colorize, write in turn; the old loop's shape);

and then the milliseconds per photo of each stage (read, lightness, network incl. resizes,
upsampling and gamut map, PNG write), one after another.

    python benchmarks/colorize_throughput.py --data ../shared/data/stanford-dogs-small
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True)
    ap.add_argument("--run", default=None, help="run folder (default: the shipped generator)")
    ap.add_argument("--n", type=int, default=60)
    ap.add_argument("--max-side", type=int, default=500)
    ap.add_argument("--render-size", type=int, default=256)
    args = ap.parse_args()

    import tensorflow as tf

    from colorgan_utils import color
    from colorgan_utils.colorize import colorize_files
    from colorgan_utils.photos import read_photo
    from colorgan_utils.runs import load_run

    generator, _ = load_run(args.run)
    paths = sorted(Path(args.data).glob("Images/*/*.jpg"))[:: 37][: args.n]
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "in"
        src.mkdir()
        for i, p in enumerate(paths):
            with Image.open(p) as im:
                im = im.convert("RGB")
                side = int(rng.integers(300, args.max_side + 1))
                scale = side / max(im.size)
                im.resize((round(im.width * scale), round(im.height * scale))).save(
                    src / f"{i:03d}.jpg", quality=90)
        files = sorted(src.iterdir())
        colorize_files(generator, files[:4], Path(tmp) / "warm", args.render_size,
                       verbose=False)
        t0 = time.perf_counter()
        report = colorize_files(generator, files, Path(tmp) / "new", args.render_size,
                                verbose=False)
        new = len(report.written) / (time.perf_counter() - t0)

        def eager(path: Path, out: Path) -> None:
            photo = read_photo(path).astype(np.float32) / 255.0
            l_full = color.rgb_to_lab_normalized(tf.constant(photo))[0]
            h, w = photo.shape[:2]
            small = tf.image.resize(l_full, (args.render_size, args.render_size),
                                    antialias=True)
            ab = generator(small[None], training=False)[0]
            ab = tf.image.resize(ab, (h, w))
            rgb = color.lab_to_rgb_keep_lightness(color.denormalize_lab(l_full, ab)).numpy()
            Image.fromarray(np.round(rgb * 255).astype(np.uint8)).save(out)

        stages = stage_times(generator, files, args.render_size, Path(tmp) / "stage.png")

        (Path(tmp) / "old").mkdir()
        eager(files[0], Path(tmp) / "old" / "warm.png")
        t0 = time.perf_counter()
        for f in files:
            eager(f, Path(tmp) / "old" / f"{f.stem}.png")
        old = len(files) / (time.perf_counter() - t0)
    print(f"{len(files)} photos of 300-{args.max_side} px, render size {args.render_size}:")
    print(f"  colorize_files (compiled, overlapped I/O): {new:6.1f} photos/s (goal >= 10)")
    print(f"  one by one, eager (the old loop):          {old:6.1f} photos/s")
    print(f"  speed-up: {new / old:.1f}x")
    print("  per photo, one stage after another (ms): "
          + ", ".join(f"{k} {v:.0f}" for k, v in stages.items()))


def stage_times(generator, files: list[Path], render_size: int, target: Path) -> dict:
    """Mean milliseconds per photo of each stage of :class:`Colorizer`, run in turn."""
    import tensorflow as tf

    from colorgan_utils.colorize import _write_png, colorizer_for, render_shape
    from colorgan_utils.photos import read_photo

    c = colorizer_for(generator, render_size)
    totals = dict.fromkeys(["read", "lightness", "network", "gamut map", "write PNG"], 0.0)

    def timed(stage: str, fn, *args):
        t0 = time.perf_counter()
        out = fn(*args)
        totals[stage] += time.perf_counter() - t0
        return out

    for f in files:
        photo = timed("read", read_photo, f)
        h, w = photo.shape[:2]
        render = render_shape(h, w, render_size, c.multiple)
        lum, narrow = timed("lightness", c.lightness, photo, render[1])
        none = c.hint_input([], (h, w), render)  # no hints (ignored by an automatic generator)
        ab = timed("network", lambda: c._predict(narrow, tf.constant(render), none).numpy())
        rgb = timed("gamut map", c.compose, lum, tf.constant(ab))
        timed("write PNG", _write_png, rgb, target)
    return {k: 1000 * v / len(files) for k, v in totals.items()}


if __name__ == "__main__":
    main()
