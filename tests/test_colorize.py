"""colorize on odd photos and folders: each case here failed before issue 8."""

import os
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image
from skimage import color as skcolor

from colorgan_utils import colorize, photos
from colorgan_utils.colorize import Colorizer, colorize_files, read_photo, render_shape
from colorgan_utils.models import build_generator

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def generator():
    return build_generator(32, width=8)


def _png_header_only(path: Path, width: int, height: int) -> None:
    """A PNG that claims ``width x height`` (a decompression bomb's header) with no pixels."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
                     + chunk(b"IDAT", zlib.compress(b"\0" * 16)) + chunk(b"IEND", b""))


def test_render_shape_keeps_the_aspect_ratio():
    assert render_shape(300, 400, 256) == (256, 341)
    assert render_shape(1000, 500, 256) == (512, 256)
    assert render_shape(64, 64, 128) == (128, 128)


def test_runs_at_the_render_size_not_the_training_size(generator, real_photo):
    """The net sees L at the render size (aspect kept), padded to a multiple of 2**depth."""
    seen = []

    class Spy:
        def __getattr__(self, name):
            return getattr(generator, name)

        def __call__(self, x, training=False):
            seen.append(tuple(x.shape))
            return generator(x, training=training)

    photo = np.asarray(real_photo.resize((150, 100)))
    c = Colorizer(Spy(), render_size=96)
    assert c.multiple == 32
    tf.config.run_functions_eagerly(True)  # so that the spy sees concrete shapes
    try:
        _, out = c(photo)
    finally:
        tf.config.run_functions_eagerly(False)
    assert out.shape == (100, 150, 3)
    # 96 x 144 at render size 96, padded to multiples of 32: 96 x 160
    assert seen[-1] == (1, 96, 160, 1)


def test_one_compiled_function_for_every_photo_shape(generator):
    c = Colorizer(generator, render_size=64)
    rng = np.random.default_rng(0)
    for shape in [(40, 60, 3), (90, 33, 3), (64, 64, 3), (120, 77, 3)]:
        c((rng.random(shape) * 255).astype(np.uint8))
    assert c._predict.experimental_get_tracing_count() == 1
    assert c._compose.experimental_get_tracing_count() == 1


def test_exif_orientation_is_applied(tmp_path, generator):
    # a 40 x 20 (w x h) photo stored with orientation 6 is shown as 20 x 40
    img = Image.new("RGB", (40, 20), (200, 60, 30))
    exif = Image.Exif()
    exif[0x0112] = 6
    img.save(tmp_path / "rotated.jpg", exif=exif.tobytes())
    assert read_photo(tmp_path / "rotated.jpg").shape == (40, 20, 3)
    report = colorize_files(generator, [tmp_path / "rotated.jpg"], tmp_path / "out",
                            verbose=False)
    with Image.open(report.written[0][1]) as im:
        assert im.size == (20, 40)


def test_decompression_bomb_is_skipped_by_name_and_the_rest_written(tmp_path, generator,
                                                                    real_photo):
    _png_header_only(tmp_path / "a_bomb.png", 20000, 20000)
    real_photo.save(tmp_path / "b_dog.jpg")
    report = colorize_files(generator, [tmp_path], tmp_path / "out", verbose=False)
    assert [Path(p).name for p, _ in report.written] == ["b_dog.jpg"]
    (path, reason), = report.skipped
    assert path.endswith("a_bomb.png") and ("MP" in reason or "bomb" in reason)
    assert not reason.startswith(str(path))  # named once, by the report, not twice
    assert report.exit_status == 1
    (tmp_path / "c.jpg").write_bytes(b"not a photo")
    report = colorize_files(generator, [tmp_path / "gone.jpg", tmp_path / "c.jpg"],
                            tmp_path / "out2", verbose=False)
    assert [(Path(p).name, why.split(":")[0]) for p, why in report.skipped] == [
        ("gone.jpg", "no such file"), ("c.jpg", "cannot read the image")]


def test_photos_above_the_pixel_limit_are_refused_before_decoding(tmp_path, monkeypatch):
    Image.new("RGB", (300, 200)).save(tmp_path / "big.png")
    monkeypatch.setattr(photos, "MAX_PIXELS", 50_000)
    with pytest.raises(colorize.PhotoError, match=r"big.png: 300x200 px \(0 MP\) is above the "
                                                  r"0 MP limit; downscale it first$"):
        read_photo(tmp_path / "big.png")
    with pytest.raises(colorize.PhotoError, match=r"\(0 MP\) is above the 0 MP limit"):
        read_photo(tmp_path / "big.png", max_pixels=59_999)
    assert read_photo(tmp_path / "big.png", max_pixels=60_000).shape == (200, 300, 3)
    monkeypatch.setattr(photos, "MAX_PIXELS", 2_000_000)
    Image.new("RGB", (2000, 1001)).save(tmp_path / "two.png")
    with pytest.raises(colorize.PhotoError, match=r"2000x1001 px \(2 MP\) is above the 2 MP"):
        read_photo(tmp_path / "two.png")


def test_float_photos_are_read_by_their_mode(tmp_path):
    """A 32-bit float TIFF (mode F): values in [0, 1] are the photo, gray, kept as floats."""
    values = np.tile(np.linspace(-0.5, 1.5, 40, dtype=np.float32), (30, 1))
    Image.fromarray(values, mode="F").save(tmp_path / "f.tif")
    photo = read_photo(tmp_path / "f.tif")
    assert photo.dtype == np.float32 and photo.shape == (30, 40, 3)
    np.testing.assert_array_equal(photo, np.repeat(np.clip(values, 0, 1)[..., None], 3, -1))


def test_large_photos_are_done_in_strips(monkeypatch, generator):
    """The full-size work runs in strips: the same result as in one piece."""
    rng = np.random.default_rng(3)
    photo = (rng.random((90, 70, 3)) * 255).astype(np.uint8)
    whole = Colorizer(generator, 64)(photo)[1]
    monkeypatch.setattr(colorize, "STRIP_PIXELS", 70 * 7)  # 7 rows a strip
    strips = Colorizer(generator, 64)(photo)[1]
    np.testing.assert_array_equal(whole, strips)


@pytest.mark.parametrize("shape, render", [((90, 70, 3), 40), ((30, 50, 3), 64)])
def test_strips_give_what_resizing_the_whole_photo_gives(monkeypatch, shape, render):
    """The full-size work is done in strips, never on the whole upsampled ab (864 MB for a
    108 MP photo): the same colours as resizing the whole L down and the whole ab up with
    ``tf.image.resize``, for a photo larger than its render (ab upsampled) and one smaller
    (ab downsampled); a random photo, so a strip's ab taken from the wrong rows shows."""
    from colorgan_utils import color

    monkeypatch.setattr(colorize, "render_multiple", lambda g: 8)
    monkeypatch.setattr(colorize, "STRIP_PIXELS", shape[1] * 7)  # 7 rows a strip
    gen = _l_proportional_generator()
    photo = (np.random.default_rng(5).random(shape) * 255).astype(np.uint8)
    _, got = Colorizer(gen, render)(photo)

    h, w = shape[:2]
    hr, wr = render_shape(h, w, render, 8)
    l_full = color.lightness_normalized(tf.constant(photo))
    small = tf.image.resize(l_full, [hr, wr], antialias=True)
    padded = tf.pad(small, [[0, -hr % 8], [0, -wr % 8], [0, 0]], mode="SYMMETRIC")
    ab = tf.image.resize(gen(padded[None])[0][:hr, :wr], [h, w], method="bilinear")
    want = color.lab_to_rgb_keep_lightness_sparse(color.denormalize_lab(l_full, ab))
    want = np.round(want.numpy() * 255).astype(int)
    assert (hr > h) == (render > min(h, w))
    assert np.abs(got.astype(int) - want).max() <= 1


def test_never_overwrites_an_input(tmp_path, generator, real_photo):
    real_photo.save(tmp_path / "a.jpg")
    real_photo.save(tmp_path / "a.png")
    before = (tmp_path / "a.png").read_bytes()
    report = colorize_files(generator, [tmp_path], tmp_path, verbose=False)
    assert (tmp_path / "a.png").read_bytes() == before
    outs = sorted(Path(o).name for _, o in report.written)
    assert outs == ["a-2.png", "a-3.png"] and not report.skipped


def test_interrupted_write_leaves_no_half_file(tmp_path, generator, real_photo, monkeypatch):
    real_photo.save(tmp_path / "dog.jpg")
    real_save = Image.Image.save

    def save_then_interrupt(self, fp, *args, **kwargs):
        real_save(self, fp, *args, **kwargs)
        Path(fp).write_bytes(Path(fp).read_bytes()[:100])  # half-written
        raise KeyboardInterrupt

    monkeypatch.setattr(Image.Image, "save", save_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        colorize_files(generator, [tmp_path / "dog.jpg"], tmp_path / "out", verbose=False)
    assert list((tmp_path / "out").iterdir()) == []  # neither dog.png nor a temporary file


def _full_disk_for(monkeypatch, name: str) -> None:
    """Writing the output ``name`` fails as on a full disk (the rename of its temporary file)."""
    real_replace = os.replace

    def replace(src, dst):
        if Path(dst).name == name:
            raise OSError(28, "No space left on device")
        return real_replace(src, dst)

    monkeypatch.setattr(colorize.os, "replace", replace)


def test_one_unwritable_output_does_not_stop_the_batch(tmp_path, generator, real_photo,
                                                        monkeypatch):
    for name in ("a", "b", "c"):
        real_photo.save(tmp_path / f"{name}.jpg")
    out = tmp_path / "out"
    _full_disk_for(monkeypatch, "b.png")
    report = colorize_files(generator, [tmp_path / f"{n}.jpg" for n in "abc"], out,
                            verbose=False)
    assert sorted(Path(o).name for _, o in report.written) == ["a.png", "c.png"]
    (path, reason), = report.skipped
    assert path.endswith("b.jpg") and "b.png" in reason and "No space left" in reason
    assert sorted(p.name for p in out.iterdir()) == ["a.png", "c.png"]  # no temporary left


def test_dark_16_bit_photo_stays_dark(tmp_path, generator):
    values = np.tile(np.linspace(0, 250, 64), (48, 1)).astype(np.uint16)  # all below 256
    Image.fromarray(values).save(tmp_path / "dark16.png")
    with Image.open(tmp_path / "dark16.png") as im:
        assert im.mode.startswith("I")
    photo = read_photo(tmp_path / "dark16.png")
    assert photo.dtype == np.float32 and photo.max() == pytest.approx(250 / 65535, rel=1e-3)
    report = colorize_files(generator, [tmp_path / "dark16.png"], tmp_path / "o", verbose=False)
    with Image.open(report.written[0][1]) as im:
        out = np.asarray(im)
    # 250 / 65535 of full scale is L* 0.4, black in 8 bits: even the most saturated colour
    # at that lightness (a dark blue) stays below 20 of 255; read as 8-bit it would be 250
    assert out.max() <= 30


def test_unsupported_files_in_a_folder_are_listed_as_skipped(tmp_path, generator, real_photo):
    real_photo.save(tmp_path / "dog.jpg")
    (tmp_path / "holiday.heic").write_bytes(b"\0\0\0\x18ftypheic")
    (tmp_path / "notes.txt").write_text("hi")
    (tmp_path / ".hidden.jpg").write_text("ignored")
    report = colorize_files(generator, [tmp_path], tmp_path / "out", verbose=False)
    skipped = {Path(p).name: why for p, why in report.skipped}
    assert set(skipped) == {"holiday.heic", "notes.txt"}
    assert skipped["holiday.heic"] == ("not a supported image type (.heic; use .bmp, .gif, "
                                       ".jpeg, .jpg, .png, .tif, .tiff, .webp)")
    assert len(report.written) == 1
    # the dataset's Images/ folder holds a folder per breed and no photo: say how to name them
    (tmp_path / "Images" / "n1-dog").mkdir(parents=True)
    real_photo.save(tmp_path / "Images" / "n1-dog" / "a.jpg")
    report = colorize_files(generator, [tmp_path / "Images"], tmp_path / "out2", verbose=False)
    (path, why), = report.skipped
    assert path == str(tmp_path / "Images") and "1 folder(s)" in why and "Images/*" in why
    assert not report.written and report.exit_status == 1


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "colorgan_utils", "colorize", *args],
                          capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})


def test_cli_exit_status_and_render_size(tmp_path, real_photo, generator):
    gen = tmp_path / "g.keras"
    generator.save(gen)
    real_photo.save(tmp_path / "dog.jpg")
    ok = _cli(str(tmp_path / "dog.jpg"), "--run", str(gen), "--out", str(tmp_path / "o1"),
              "--render-size", "64")
    assert ok.returncode == 0, ok.stderr[-2000:]
    (tmp_path / "bad.jpg").write_text("x")
    some = _cli(str(tmp_path / "dog.jpg"), str(tmp_path / "bad.jpg"), "--run", str(gen),
                "--out", str(tmp_path / "o2"))
    assert some.returncode == 1 and (tmp_path / "o2" / "dog.png").is_file()
    assert "bad.jpg" in some.stdout
    usage = _cli(str(tmp_path / "dog.jpg"), "--run", str(gen), "--out", str(tmp_path / "o3"),
                 "--render-size", "0")
    assert usage.returncode == 2 and "render-size" in usage.stderr


def test_lightness_is_kept_for_saturated_predictions(monkeypatch):
    """A generator that predicts extreme ab: the gamut map gives up chroma, never L."""
    import keras

    inp = keras.Input((None, None, 1))
    x = keras.layers.Lambda(lambda t: keras.ops.concatenate([t * 0 + 0.9, t * 0 - 0.9], -1))(inp)
    extreme = keras.Model(inp, x)
    monkeypatch.setattr(colorize, "render_multiple", lambda g: 1)
    rng = np.random.default_rng(0)
    photo = (rng.random((30, 40, 3)) * 255).astype(np.uint8)
    gray, out = Colorizer(extreme, 16)(photo)
    want = skcolor.rgb2lab(photo / 255.0)[..., 0]
    got = skcolor.rgb2lab(out / 255.0)[..., 0]
    assert skcolor.rgb2lab(out / 255.0)[..., 1:].std() > 5  # it is colourful
    assert np.abs(got - want).max() < 1.0  # and keeps the photo's lightness


def _ramp_photo(h: int = 50, w: int = 75) -> np.ndarray:
    """A gray uint8 photo whose lightness climbs from L 30 (left) to L 80 (right)."""
    lum = np.repeat(np.linspace(30, 80, w)[None, :], h, axis=0)
    lab = np.stack([lum, np.zeros_like(lum), np.zeros_like(lum)], -1)
    return np.round(skcolor.lab2rgb(lab) * 255).astype(np.uint8)


def _l_proportional_generator():
    """A "generator" whose ab is a known function of L at each pixel: a = 0.3 L, b = -0.2 L
    (network units), so every pixel's right answer is known wherever the photo is rendered."""
    import keras

    inp = keras.Input((None, None, 1))
    out = keras.layers.Lambda(lambda t: keras.ops.concatenate([0.3 * t, -0.2 * t], -1))(inp)
    return keras.Model(inp, out)


def test_colour_lands_on_the_right_pixels_at_the_photo_size(monkeypatch):
    """Known answer through render, padding, crop, upsampling and compose: the colour of each
    pixel is the one predicted from that pixel's own L (a ramp: an offset, a flip or a crop of
    the padding instead of the photo would move it), on the photo's own L."""
    monkeypatch.setattr(colorize, "render_multiple", lambda g: 8)
    photo = _ramp_photo()
    gray, out = Colorizer(_l_proportional_generator(), render_size=40)(photo)  # render 40 x 60
    assert gray.shape == (50, 75) and gray.dtype == np.float32 and out.shape == (50, 75, 3)
    lab_in = skcolor.rgb2lab(photo / 255.0)
    np.testing.assert_allclose(gray, lab_in[..., 0] / 100, atol=2e-3)
    lab_out = skcolor.rgb2lab(out / 255.0)
    l_norm = lab_in[..., 0] / 50 - 1
    inner = np.s_[:, 3:-3]  # resampling blurs the ramp's two ends
    np.testing.assert_allclose(lab_out[..., 0][inner], lab_in[..., 0][inner], atol=0.6)
    np.testing.assert_allclose(lab_out[..., 1][inner], (0.3 * 110 * l_norm)[inner], atol=1.2)
    np.testing.assert_allclose(lab_out[..., 2][inner], (-0.2 * 110 * l_norm)[inner], atol=1.2)


def test_colorize_image_and_compare_photos_give_the_same_known_colours(tmp_path, monkeypatch):
    """The slider's and figures' path (``compare_photos``) and ``colorize_image`` colour a photo
    as ``Colorizer`` does, and hand back the photo as read (8-bit and 16-bit files)."""
    monkeypatch.setattr(colorize, "render_multiple", lambda g: 8)
    gen = _l_proportional_generator()
    photo = _ramp_photo()
    Image.fromarray(photo).save(tmp_path / "a.png")
    deep = np.ascontiguousarray(photo[:, ::-1, 0]).astype(np.uint16) * 257
    Image.fromarray(deep).save(tmp_path / "b.png")  # 16-bit gray, the ramp the other way
    want_gray, want = Colorizer(gen, render_size=40)(photo)
    gray, out = colorize.colorize_image(gen, photo, render_size=40)
    assert out.dtype == np.float32 and out.shape == (50, 75, 3)
    np.testing.assert_allclose(out, want / 255.0, atol=1e-6)
    np.testing.assert_allclose(gray, want_gray, atol=1e-6)
    originals, grays, colours = colorize.compare_photos(gen, [tmp_path / "a.png",
                                                             tmp_path / "b.png"], 40)
    assert len(originals) == len(grays) == len(colours) == 2
    np.testing.assert_allclose(originals[0], photo / 255.0, atol=1e-6)
    np.testing.assert_allclose(originals[1], deep[..., None].repeat(3, -1) / 65535.0, atol=1e-6)
    # the second photo is the first mirrored: so are its gray and its colours
    for g, c, flip in zip(grays, colours, [np.s_[:, :], np.s_[:, ::-1]]):
        assert g.shape == (50, 75) and c.shape == (50, 75, 3) and c.dtype == np.float32
        np.testing.assert_allclose(g, want_gray[flip], atol=2e-3)
        np.testing.assert_allclose(c[:, 3:-3], (want / 255.0)[flip][:, 3:-3], atol=3 / 255)


def test_gray_and_odd_arrays(monkeypatch, capsys, tmp_path, real_photo):
    """A gray array (2-D or one channel) is colorized as the same photo in RGB; an array that is
    not a photo is refused by its shape; colorize_files says what it wrote, and at which size."""
    monkeypatch.setattr(colorize, "render_multiple", lambda g: 8)
    c = Colorizer(_l_proportional_generator(), render_size=40)
    photo = _ramp_photo()
    gray = photo[..., 0]
    _, want = c(photo)
    for variant in (gray, gray[..., None]):
        _, got = c(variant)
        np.testing.assert_array_equal(got, want)
    for bad in (np.zeros((10, 10, 2), np.uint8), np.zeros((2, 10, 10, 3), np.uint8)):
        with pytest.raises(ValueError, match=r"a photo needs shape \[H, W\] or \[H, W, 1/3/4\]"):
            c(bad)
    real_photo.resize((150, 100)).save(tmp_path / "a.jpg")
    capsys.readouterr()
    colorize_files(_l_proportional_generator(), [tmp_path / "a.jpg"], tmp_path / "out", 40)
    src, out = tmp_path / "a.jpg", tmp_path / "out" / "a.png"
    assert capsys.readouterr().out == f"{src} -> {out} (150x100)\n"


def test_reading_ahead_holds_only_the_photos_ahead(monkeypatch):
    """A folder of any length must not pile up decoded photos: once a photo has been handed
    out and dropped, the reader keeps none but the ``ahead`` it is reading (in order)."""
    import concurrent.futures as cf
    import gc
    import weakref

    class Decoded:
        def __init__(self, name):
            self.name = name

    made = []

    def fake_read(path):
        photo = Decoded(path.name)
        made.append(weakref.ref(photo))
        return photo

    monkeypatch.setattr(colorize, "_read", fake_read)
    paths = [Path(f"{i:02d}.jpg") for i in range(20)]
    seen = []
    with cf.ThreadPoolExecutor(2) as pool:
        for path, photo in colorize._prefetch(paths, pool, ahead=4):
            assert photo.name == path.name
            seen.append(path)
            del photo
            gc.collect()
            assert sum(ref() is not None for ref in made) <= 4, len(seen)
    assert seen == paths and len(made) == 20


# ------------------------------------------------------------------ faults the fuzz found


def test_an_unrelated_file_in_the_output_folder_is_never_overwritten(tmp_path, generator,
                                                                      real_photo):
    (tmp_path / "in").mkdir()
    (tmp_path / "out").mkdir()
    real_photo.save(tmp_path / "in" / "a.jpg")
    (tmp_path / "out" / "a.png").write_bytes(b"someone's drawing")
    report = colorize_files(generator, [tmp_path / "in" / "a.jpg"], tmp_path / "out",
                            verbose=False)
    assert (tmp_path / "out" / "a.png").read_bytes() == b"someone's drawing"
    assert [Path(o).name for _, o in report.written] == ["a-2.png"]


def test_renders_stay_bounded_for_extreme_shapes_and_render_sizes(generator):
    from colorgan_utils.colorize import MAX_RENDER_PIXELS

    for (h, w, size) in [(1, 10000, 256), (2, 2000, 256), (10000, 1, 256), (300, 400, 10000),
                         (300, 400, 100000), (1, 100000, 256), (9000, 12000, 256)]:
        rh, rw = render_shape(h, w, size, multiple=32)
        assert rh * rw <= MAX_RENDER_PIXELS and rh >= 32 and rw >= 32, (h, w, size, rh, rw)
    assert render_shape(300, 400, 10000) == (1774, 2364)  # aspect kept, pixels capped
    assert render_shape(300, 400, 256) == (256, 341)  # ordinary photos: unchanged
    c = Colorizer(generator, render_size=256)
    for shape in [(1, 3000, 3), (2, 2000, 3), (2000, 2, 3)]:
        gray, out = c(np.full(shape, 128, np.uint8))
        assert out.shape == shape and gray.shape == shape[:2]


def test_a_named_pipe_is_skipped_and_never_read(tmp_path, generator, real_photo):
    real_photo.save(tmp_path / "a.jpg")
    os.mkfifo(tmp_path / "pipe.jpg")
    report = colorize_files(generator, [tmp_path / "pipe.jpg", tmp_path / "a.jpg"],
                            tmp_path / "out", verbose=False)
    assert report.skipped == [(str(tmp_path / "pipe.jpg"),
                               "not a regular file (a pipe, socket or device)")]
    assert [Path(i).name for i, _ in report.written] == ["a.jpg"]


def test_a_photo_is_announced_only_once_its_file_is_written(tmp_path, generator, real_photo,
                                                            monkeypatch, capsys):
    """"a -> a.png" is printed after the write succeeded; a write that fails prints the
    reason instead, never a line that claims a file that is not there."""
    for name in ("a", "b"):
        real_photo.save(tmp_path / f"{name}.jpg")
    _full_disk_for(monkeypatch, "b.png")
    colorize_files(generator, [tmp_path / "a.jpg", tmp_path / "b.jpg"], tmp_path / "out")
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"{tmp_path / 'a.jpg'} -> {tmp_path / 'out' / 'a.png'} (" + \
        f"{real_photo.width}x{real_photo.height})"
    assert out[1].startswith(f"skipped {tmp_path / 'b.jpg'}: cannot write")
    assert "No space left on device" in out[1] and str(tmp_path / "out" / "b.png") in out[1]
    assert len(out) == 2


def test_links_to_nothing_are_listed_as_skipped(tmp_path, generator, real_photo):
    """A dangling link and a link to itself, inside a folder and given by name: each is
    listed with the reason, not dropped silently."""
    folder = tmp_path / "in"
    folder.mkdir()
    real_photo.save(folder / "dog.jpg")
    (folder / "gone.jpg").symlink_to(tmp_path / "deleted.jpg")
    (folder / "loop.jpg").symlink_to(folder / "loop.jpg")
    (tmp_path / "named.jpg").symlink_to(tmp_path / "nothing.jpg")
    report = colorize_files(generator, [folder, tmp_path / "named.jpg"], tmp_path / "out",
                            verbose=False)
    skipped = {Path(p).name: why for p, why in report.skipped}
    assert set(skipped) == {"gone.jpg", "loop.jpg", "named.jpg"}
    assert all("a link to nothing" in why for why in skipped.values())
    assert [Path(o).name for _, o in report.written] == ["dog.png"]


def test_ctrl_c_says_what_is_safe_for_each_command(monkeypatch, capsys):
    from colorgan_utils import cli

    def interrupted(args):
        raise KeyboardInterrupt

    for command, argv, says in (
            ("_colorize", ["colorize", "a.jpg", "--out", "o"], "every photo listed above"),
            ("_train", ["train", "--out", "r"], "resume after the last finished epoch"),
            ("_evaluate", ["evaluate"], "nothing was written")):
        monkeypatch.setattr(cli, command, interrupted)
        interrupted.__name__ = command
        assert cli.main(argv) == 130
        err = capsys.readouterr().err
        assert says in err and (command == "_train" or "epoch" not in err)


def test_a_name_is_claimed_atomically_so_concurrent_writers_never_share_it(tmp_path):
    """Sixteen writers claiming ``dog.png`` at once each get their own name (dog.png,
    dog-2.png ... dog-16.png), created exclusively; an input's own name is never claimed."""
    import threading

    from colorgan_utils.colorize import claim_name

    got, start = [], threading.Barrier(16)

    def claim():
        start.wait()
        got.append(claim_name(tmp_path, "dog"))

    threads = [threading.Thread(target=claim) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(got)) == 16 and all(p.is_file() for p in got)
    assert {p.name for p in got} == {"dog.png"} | {f"dog-{k}.png" for k in range(2, 17)}
    assert claim_name(tmp_path, "cat", {(tmp_path / "cat.png").resolve()}).name == "cat-2.png"


def test_two_colorize_runs_into_one_folder_overwrite_nothing(tmp_path, real_photo):
    """Two ``colorize`` runs at the same time, same photo names, one output folder: every
    photo of both is written under its own name, and nothing is left claimed but empty."""
    import threading

    from colorgan_utils.models import build_generator

    generator = build_generator(32, width=8)
    inputs = []
    for run in ("a", "b"):
        folder = tmp_path / run
        folder.mkdir()
        for k in range(4):
            real_photo.save(folder / f"dog{k}.jpg")
        inputs.append(folder)
    out = tmp_path / "out"
    reports = [None, None]

    def go(i):
        reports[i] = colorize_files(generator, [inputs[i]], out, render_size=64, verbose=False)

    threads = [threading.Thread(target=go, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    targets = [t for r in reports for _, t in r.written]
    assert len(targets) == len(set(targets)) == 8
    assert sorted(p.name for p in out.iterdir()) == sorted(Path(t).name for t in targets)
    assert all(Path(t).stat().st_size > 0 for t in targets)
