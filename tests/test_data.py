import hashlib
import io
import shutil
import tarfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from colorgan_utils.config import Config, get_config
from colorgan_utils.data import (
    DataError, breed_name, check_image, decode_rgb, download_stanford_dogs, extract_tar,
    make_dataset,
    name_hash, scan_folder, split_records, subsample,
)
from colorgan_utils.sample_data import make_sample_dataset

SMOKE = get_config("smoke", environ={})


# ------------------------------------------------------------------ bad files, one by one


@pytest.fixture()
def bad_folder(tmp_path, photo_paths, real_photo):
    """A folder in the dataset layout: two good photos plus one of each bad case."""
    breed = tmp_path / "Images" / "n02085620-Chihuahua"
    breed.mkdir(parents=True)
    shutil.copy(photo_paths[0], breed / "n02085620_1.jpg")
    shutil.copy(photo_paths[1], breed / "n02085620_2.jpg")
    data = photo_paths[2].read_bytes()
    (breed / "truncated.jpg").write_bytes(data[: len(data) // 2])
    (breed / "text.jpg").write_text("this is not a picture")
    (breed / "empty.jpg").write_bytes(b"")
    real_photo.convert("CMYK").save(breed / "cmyk.jpg")
    rgba = real_photo.convert("RGBA")
    rgba.putalpha(128)
    rgba.save(breed / "rgba.png")
    real_photo.resize((1, 1)).save(breed / "one_pixel.jpg")
    real_photo.convert("L").convert("RGB").save(breed / "gray_as_rgb.jpg", quality=90)
    real_photo.convert("L").save(breed / "gray_l.jpg")
    arr16 = (np.asarray(real_photo.convert("L"), dtype=np.uint16) * 257)
    Image.fromarray(arr16).save(breed / "gray16.png")
    real_photo.save(breed / "anim.gif")
    buf = io.BytesIO()
    real_photo.save(buf, format="PNG")
    (breed / "png_named.jpg").write_bytes(buf.getvalue())
    return tmp_path


EXPECTED = {
    "truncated.jpg": ("rejected", "cannot decode"),
    "text.jpg": ("rejected", "not an image"),
    "empty.jpg": ("rejected", "empty file"),
    "cmyk.jpg": ("note", "CMYK colour model, read as RGB"),
    "one_pixel.jpg": ("rejected", "too small: 1x1"),
    "anim.gif": ("rejected", "GIF file"),
    "gray_as_rgb.jpg": ("black_and_white", "stored as RGB"),
    "gray_l.jpg": ("black_and_white", "mode L"),
    "gray16.png": ("black_and_white", "16-bit"),
    "rgba.png": ("note", "alpha channel dropped"),
    "png_named.jpg": ("note", "PNG data in a .jpg"),
    "n02085620_1.jpg": ("ok", ""),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_check_image_each_case(bad_folder, name):
    status, reason, _, _ = check_image(bad_folder / "Images/n02085620-Chihuahua" / name, 32)
    want_status, want_reason = EXPECTED[name]
    assert status == want_status, reason
    assert want_reason in reason


def test_scan_reports_every_bad_file_by_name(bad_folder):
    report = scan_folder(bad_folder, SMOKE)
    by_name = {Path(i.path).name: i.reason for i in report.rejected}
    gray = {Path(i.path).name for i in report.black_and_white}
    good = {Path(r.path).name for r in report.good}
    notes = {Path(i.path).name for i in report.notes}
    for name, (status, _) in EXPECTED.items():
        if status == "rejected":
            assert name in by_name and name not in good
        elif status == "black_and_white":
            assert name in gray and name not in good
        else:
            assert name in good
    assert notes == {"rgba.png", "png_named.jpg", "cmyk.jpg"}
    assert len(report.good) == 5
    text = report.format()
    assert "truncated.jpg" in text and "cmyk.jpg" in text and "n02085620_1.jpg" not in text
    assert report.to_dict()["color"] == 5


def test_pipeline_survives_the_bad_folder(bad_folder):
    report = scan_folder(bad_folder, SMOKE)
    ds = make_dataset(report.good, SMOKE, training=True, batch_size=2)
    batches = list(ds)
    assert sum(int(b[0].shape[0]) for b in batches) == 4


def test_pipeline_reads_photos_as_colorize_does(tmp_path, real_photo):
    """One photo reader: the tf.data pipeline applies the EXIF orientation and reads CMYK, as
    ``colorize`` does (TensorFlow's own decoder did neither), with the same pixels."""
    import tensorflow as tf

    from colorgan_utils.photos import read_photo

    small = real_photo.resize((60, 40))
    exif = Image.Exif()
    exif[0x0112] = 6  # stored 60 x 40 (w x h), shown rotated: 40 x 60
    small.save(tmp_path / "rotated.jpg", exif=exif.tobytes())
    small.convert("CMYK").save(tmp_path / "cmyk.jpg")
    for name in ("rotated.jpg", "cmyk.jpg"):
        img = decode_rgb(tf.constant(str(tmp_path / name))).numpy()
        want = read_photo(tmp_path / name).astype(np.float32) / 255.0
        assert img.dtype == np.float32 and img.shape == want.shape
        np.testing.assert_allclose(img, want, atol=1e-6)
    assert decode_rgb(tf.constant(str(tmp_path / "rotated.jpg"))).shape == (60, 40, 3)


def test_pipeline_skips_a_file_broken_after_the_scan(tmp_path, photo_paths):
    files = []
    for i, p in enumerate(photo_paths[:4]):
        files.append(tmp_path / f"{i}.jpg")
        shutil.copy(p, files[-1])
    files[1].write_bytes(b"broken since the scan")
    ds = make_dataset([str(f) for f in files], SMOKE, training=False, batch_size=8)
    (lum, ab), = list(ds)
    assert lum.shape[0] == 3


def test_missing_and_empty_folders_are_clear(tmp_path):
    with pytest.raises(DataError, match=f"{tmp_path / 'nope'} does not exist.*Images/<wnid>"):
        scan_folder(tmp_path / "nope")
    with pytest.raises(DataError, match="holds no breed folders"):
        scan_folder(tmp_path)
    (tmp_path / "Images" / "n1-x").mkdir(parents=True)
    with pytest.raises(DataError, match="holds no image files"):
        scan_folder(tmp_path)
    (tmp_path / "Images" / "n1-x" / "a.jpg").write_text("nope")
    with pytest.raises(DataError, match="no usable photos.*a.jpg"):
        scan_folder(tmp_path)


def test_scan_real_test_data(data_dir):
    report = scan_folder(data_dir, SMOKE)
    assert len(report.good) >= 32 and not report.rejected
    assert len(report.breeds) == 4
    assert sum(c["color"] for c in report.per_breed().values()) == len(report.good)


def test_sample_dataset_stand_in(tmp_path):
    root = make_sample_dataset(tmp_path, per_class=3)
    report = scan_folder(root, SMOKE)
    assert len(report.good) == 12 and len(report.breeds) == 4 and not report.rejected


def test_breed_name():
    assert breed_name("n02085620-Chihuahua") == "Chihuahua"
    assert breed_name("n02089078-black-and-tan_coonhound") == "black-and-tan coonhound"


# ------------------------------------------------------------------ split


def test_split_is_deterministic_stratified_disjoint(data_dir):
    report = scan_folder(data_dir, SMOKE)
    a = split_records(report.good, 0.125, 0.125)
    b = split_records(list(reversed(report.good)), 0.125, 0.125)
    assert {k: sorted(r.path for r in v) for k, v in a.items()} == \
           {k: sorted(r.path for r in v) for k, v in b.items()}
    sets = {k: {r.path for r in v} for k, v in a.items()}
    assert not (sets["train"] & sets["val"] or sets["train"] & sets["test"]
                or sets["val"] & sets["test"])
    assert sum(map(len, sets.values())) == len(report.good)
    for split in ("val", "test"):
        assert {r.breed for r in a[split]} == set(report.breeds)


def test_split_depends_only_on_file_names():
    assert name_hash("/a/b/n02085620_7.jpg") == name_hash("C:/other/n02085620_7.jpg")
    assert 0 <= name_hash("x.jpg") < 1
    with pytest.raises(ValueError):
        split_records([], 0.6, 0.5)


def test_subsample_is_deterministic(data_dir):
    good = scan_folder(data_dir, SMOKE).good
    assert subsample(good, 10) == subsample(list(good), 10)
    assert len(subsample(good, 10)) == 10 and subsample(good, None) == good


# ------------------------------------------------------------------ pipeline


def test_training_pipeline_shapes_and_ranges(data_dir):
    report = scan_folder(data_dir, SMOKE)
    ds = make_dataset(report.good, SMOKE, training=True)
    lum, ab = next(iter(ds))
    assert lum.shape == (SMOKE.batch_size, 32, 32, 1) and ab.shape == (SMOKE.batch_size, 32, 32, 2)
    assert lum.dtype.name == "float32"
    assert -1.001 <= float(lum.numpy().min()) and float(lum.numpy().max()) <= 1.001
    assert float(np.abs(ab.numpy()).max()) <= 1.0
    assert float(np.abs(ab.numpy()).mean()) > 0.01  # real colour, not gray


def test_eval_pipeline_is_deterministic_centre_crop(data_dir):
    report = scan_folder(data_dir, SMOKE)
    ds = make_dataset(report.good[:5], SMOKE, training=False, batch_size=4)
    first = [b[0].numpy() for b in ds]
    second = [b[0].numpy() for b in ds]
    assert [f.shape[0] for f in first] == [4, 1]
    for x, y in zip(first, second):
        np.testing.assert_array_equal(x, y)


def test_training_augmentation_changes_between_epochs(data_dir):
    # `train` reads one endless stream (repeat=True); with a buffer of 1 and a batch of all 8
    # photos, each batch is one epoch of the same photos in the same order, so only the crops
    # and flips can differ. A global seed (the detector sets one) must not freeze them.
    import keras

    keras.utils.set_random_seed(0)
    report = scan_folder(data_dir, SMOKE)
    cfg = SMOKE.replace(shuffle_buffer=1)
    ds = make_dataset(report.good[:8], cfg, training=True, batch_size=8, repeat=True)
    stream = iter(ds)
    a, b = next(stream)[0].numpy(), next(stream)[0].numpy()
    assert a.shape == b.shape == (8, cfg.image_size, cfg.image_size, 1)
    assert not np.array_equal(a, b)


# ------------------------------------------------------------------ download


def _make_tar(src: Path, dest: Path) -> Path:
    with tarfile.open(dest, "w") as tar:
        tar.add(src / "Images", arcname="Images")
    return dest


def test_download_from_local_tar_verifies_and_extracts(tmp_path, data_dir):
    tar = _make_tar(data_dir, tmp_path / "images.tar")
    md5 = hashlib.md5(tar.read_bytes()).hexdigest()
    size = tar.stat().st_size
    root = download_stanford_dogs(tmp_path / "cache", tmp_path / "local",
                                  origin=tar.as_uri(), md5=md5, expected_bytes=size)
    assert root == tmp_path / "local" / "stanford-dogs"
    assert (tmp_path / "cache" / "images.tar").stat().st_size == size
    report = scan_folder(root, SMOKE)
    assert len(report.good) == len(scan_folder(data_dir, SMOKE).good)
    # second call: no download, no extraction
    tar.unlink()
    assert download_stanford_dogs(tmp_path / "cache", tmp_path / "local",
                                  origin=tar.as_uri(), md5=md5, expected_bytes=size) == root


def test_download_checksum_mismatch_is_an_error(tmp_path, data_dir):
    tar = _make_tar(data_dir, tmp_path / "images.tar")
    with pytest.raises(DataError, match="corrupt"):
        download_stanford_dogs(tmp_path / "cache", tmp_path / "local", origin=tar.as_uri(),
                               md5="0" * 32, expected_bytes=None)
    assert not (tmp_path / "local" / "stanford-dogs" / ".extracted").exists()


def test_download_size_mismatch_is_an_error(tmp_path, data_dir):
    tar = _make_tar(data_dir, tmp_path / "images.tar")
    with pytest.raises(DataError, match="expected 793,579,520"):
        download_stanford_dogs(tmp_path / "cache", tmp_path / "local", origin=tar.as_uri(),
                               md5=None)


def test_download_unreachable_origin_is_named(tmp_path):
    with pytest.raises(DataError, match="cannot download file:///no/such/images.tar"):
        download_stanford_dogs(tmp_path / "c", tmp_path / "l",
                               origin="file:///no/such/images.tar", md5=None)


def test_unwritable_cache_is_named(tmp_path):
    blocker = tmp_path / "f"
    blocker.write_text("x")
    with pytest.raises(DataError, match="download cache folder"):
        download_stanford_dogs(blocker / "cache", tmp_path / "l", origin="file:///x", md5=None)


def test_extract_refuses_unsafe_members(tmp_path):
    bad = tmp_path / "evil.tar"
    with tarfile.open(bad, "w") as tar:
        info = tarfile.TarInfo("../escape.txt")
        info.size = 2
        tar.addfile(info, io.BytesIO(b"hi"))
    with pytest.raises(DataError, match="cannot extract"):
        extract_tar(bad, tmp_path / "out", verbose=False)
    assert not (tmp_path / "escape.txt").exists()
    assert not (tmp_path / "out").exists()


def test_official_constants():
    from colorgan_utils import data

    assert data.STANFORD_DOGS_URL.startswith("http://vision.stanford.edu/aditya86/ImageNetDogs/")
    assert data.STANFORD_DOGS_BYTES == 793_579_520
    assert len(data.STANFORD_DOGS_MD5) == 32


def _split_in_subprocess(data_dir, seed: str) -> dict:
    import json
    import os
    import subprocess
    import sys

    code = ("import json, sys; from colorgan_utils.config import get_config; "
            "from colorgan_utils.data import load_splits; "
            "_, s = load_splits(get_config('smoke', environ={}, data_dir=sys.argv[1])); "
            "print(json.dumps({k: sorted(r.path for r in v) for k, v in s.items()}))")
    res = subprocess.run([sys.executable, "-c", code, str(data_dir)], capture_output=True,
                         text=True, env={**os.environ, "PYTHONHASHSEED": seed,
                                         "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert res.returncode == 0, res.stderr[-2000:]
    return json.loads(res.stdout.strip().splitlines()[-1])


def test_split_is_identical_across_processes_and_disjoint_by_file(data_dir, splits):
    here = {k: sorted(r.path for r in v) for k, v in splits.items()}
    assert _split_in_subprocess(data_dir, "1") == here == _split_in_subprocess(data_dir, "2")
    names = {k: {Path(p).name for p in v} for k, v in here.items()}
    assert not names["train"] & names["test"] and not names["train"] & names["val"]
    assert not names["val"] & names["test"]
    # the smoke split's sizes follow its fractions, breed by breed (1/8 of 8 photos each)
    n_breeds = len({Path(p).parent.name for p in here["train"]})
    assert len(here["test"]) == len(here["val"]) == n_breeds


def test_split_puts_the_same_name_in_the_same_split_wherever_it_lives():
    from colorgan_utils.data import ImageRecord

    recs = [ImageRecord(f"/x/Images/n1-A/{i:03d}.jpg", "n1-A", 100, 100) for i in range(40)]
    moved = [ImageRecord(r.path.replace("/x/", "/elsewhere/"), r.breed, 100, 100) for r in recs]
    a, b = split_records(recs, 0.1, 0.2), split_records(moved, 0.1, 0.2)
    assert [len(a[k]) for k in ("train", "val", "test")] == [28, 4, 8]
    for k in a:
        assert [Path(r.path).name for r in a[k]] == [Path(r.path).name for r in b[k]]


def test_a_file_name_that_is_not_utf8_reaches_the_pipeline(tmp_path, photo_paths):
    import os

    from colorgan_utils.data import make_dataset

    folder = tmp_path / "Images" / "n1-A"
    folder.mkdir(parents=True)
    odd = os.fsdecode(os.fsencode(str(folder)) + b"/caf\xe9.jpg")
    shutil.copy(photo_paths[0], odd)
    lum, ab = next(iter(make_dataset([odd], SMOKE, training=False, batch_size=1, cache=False)))
    assert lum.shape == (1, 32, 32, 1)


def test_locate_is_the_one_data_folder_rule_and_never_downloads_unasked(tmp_path, monkeypatch):
    """``locate``: --data, then COLORGAN_DATA_DIR (the settings), then what notebook 01
    extracted, then (asked for) the download, then (asked for) the stand-in, else a clear
    error. The folder comes back in the settings. Nothing is downloaded here (a download
    attempt would fail: no internet)."""
    from colorgan_utils.config import get_config
    from colorgan_utils.data import locate

    monkeypatch.delenv("COLORGAN_DATA_DIR", raising=False)
    monkeypatch.setenv("COLORGAN_WORK_DIR", str(tmp_path / "work"))
    monkeypatch.setenv("COLORGAN_LOCAL_DIR", str(tmp_path / "local"))
    cfg = get_config("smoke")
    with pytest.raises(DataError, match=r"^no data folder: pass --data"):
        locate(cfg)
    stand_in = tmp_path / "work" / "sample-data"
    assert locate(cfg, stand_in=True).data_dir == str(stand_in)
    root = tmp_path / "local" / "stanford-dogs"
    (root / "Images" / "n02085620-Chihuahua").mkdir(parents=True)
    assert locate(cfg, stand_in=True).data_dir == str(stand_in)  # not finished: no marker
    (root / ".extracted").write_text("images.tar 1 x\n")
    assert locate(cfg, stand_in=True).data_dir == str(root)
    assert locate(cfg, download=True).data_dir == str(root)
    assert not (tmp_path / "work" / "downloads" / "images.tar").exists()
    mine = tmp_path / "mine"
    assert locate(cfg.replace(data_dir=str(mine))).data_dir == str(mine)  # COLORGAN_DATA_DIR
    assert locate(cfg.replace(data_dir="elsewhere"), tmp_path / "cli").data_dir == str(
        tmp_path / "cli")  # --data first


def test_scan_lists_an_empty_breed_folder(tmp_path, photo_paths):
    import shutil

    from colorgan_utils.data import scan_folder

    breed = tmp_path / "Images" / "n02085620-Chihuahua"
    breed.mkdir(parents=True)
    shutil.copy(photo_paths[0], breed / "a.jpg")
    (tmp_path / "Images" / "n02099601-golden_retriever").mkdir()
    report = scan_folder(tmp_path, min_side=32)
    assert report.breeds == ["n02085620-Chihuahua", "n02099601-golden_retriever"]
    table = report.to_dict()
    assert table["per_breed"]["n02099601-golden_retriever"] == {
        "color": 0, "black_and_white": 0, "rejected": 0}
    assert table["empty_breeds"] == ["n02099601-golden_retriever"]
    text = report.format()
    assert "Empty breed folders (no files): 1" in text and "golden_retriever" in text
    assert "in 2 breeds" in report.summary()


def test_scan_cache_skips_decoding_an_unchanged_folder(tmp_path, photo_paths, monkeypatch):
    import os
    import shutil

    from colorgan_utils import data as data_mod
    from colorgan_utils.data import scan_folder

    monkeypatch.setenv("COLORGAN_WORK_DIR", str(tmp_path / "work"))
    breed = tmp_path / "d" / "Images" / "n02085620-Chihuahua"
    breed.mkdir(parents=True)
    for p in photo_paths[:3]:
        shutil.copy(p, breed / p.name)
    (breed / "broken.jpg").write_bytes(b"not a photo")
    first = scan_folder(tmp_path / "d", min_side=32, cache=True)
    assert len(first.good) == 3 and len(first.rejected) == 1

    def no_decoding(*args, **kwargs):
        raise AssertionError("decoded a file of an unchanged folder")

    monkeypatch.setattr(data_mod, "check_image", no_decoding)
    again = scan_folder(tmp_path / "d", min_side=32, cache=True)
    assert again.good == first.good and again.rejected == first.rejected
    with pytest.raises(AssertionError, match="decoded"):
        scan_folder(tmp_path / "d", min_side=32)  # the scan command checks every file
    victim = breed / photo_paths[0].name  # a changed file invalidates the cache
    os.utime(victim, ns=(victim.stat().st_atime_ns, victim.stat().st_mtime_ns + 10**9))
    with pytest.raises(AssertionError, match="decoded"):
        scan_folder(tmp_path / "d", min_side=32, cache=True)


def test_load_splits_is_quiet_by_default_and_names_the_missing_folder(data_dir, capsys, tmp_path):
    from colorgan_utils.data import load_splits

    cfg = SMOKE.replace(data_dir=None)
    with pytest.raises(DataError, match=r"^no data folder: set COLORGAN_DATA_DIR, or give the "
                                        r"settings one with data\.locate\(cfg, data=\.\.\.\)$"):
        load_splits(cfg)
    copy = tmp_path / "dogs"
    shutil.copytree(data_dir, copy)  # a fresh folder: no scan cache yet, so it is decoded
    capsys.readouterr()
    report, splits = load_splits(cfg.replace(data_dir=str(copy)))
    assert capsys.readouterr().out == ""  # a notebook cell asks for verbose=True
    assert sum(len(v) for v in splits.values()) == len(report.good) > 0


def _photo_folder(root: Path, sizes: list[tuple[int, int]]) -> Path:
    """``root/Images/n1-A/NNN.jpg``: colourful photos of the given (width, height)."""
    rng = np.random.default_rng(0)
    folder = root / "Images" / "n1-A"
    folder.mkdir(parents=True)
    for i, (w, h) in enumerate(sizes):
        Image.fromarray((rng.random((h, w, 3)) * 255).astype(np.uint8)).save(
            folder / f"n1_{i:03d}.jpg", quality=95)
    return root


def test_load_splits_follows_every_setting_it_is_given(tmp_path, capsys):
    """The settings reach the scan (smallest side), the cap and the split; the scan is cached."""
    from colorgan_utils.data import find_images_root, load_splits, scan_cache_file

    root = _photo_folder(tmp_path / "dogs", [(50, 40)] * 6 + [(90, 80)] * 10)
    cfg = SMOKE.replace(data_dir=None, min_side=30, max_images=12, val_fraction=0.25,
                        test_fraction=0.125)
    assert Config().min_image_side > 40  # the default would reject the six small photos
    cache = scan_cache_file(find_images_root(root))
    assert not cache.exists()
    report, splits = load_splits(cfg.replace(data_dir=str(root)), verbose=True)
    assert "16/16" in capsys.readouterr().out  # the progress bar, when asked for
    assert len(report.good) == 16 and cache.is_file()
    kept = subsample(report.good, 12)
    assert {k: len(v) for k, v in splits.items()} == {"train": 7, "val": 3, "test": 2}
    assert splits == split_records(kept, 0.25, 0.125)
    assert sorted(r.path for v in splits.values() for r in v) == sorted(r.path for r in kept)


def test_split_fractions_defaults_and_limits():
    from colorgan_utils.data import ImageRecord

    recs = [ImageRecord(f"/x/Images/n1-A/{i:03d}.jpg", "n1-A", 100, 100) for i in range(20)]
    assert {k: len(v) for k, v in split_records(recs).items()} == {"train": 16, "val": 2,
                                                                   "test": 2}
    assert len(split_records(recs, 0.0, 0.1)["val"]) == 0  # no validation split is allowed
    assert len(split_records(recs, 0.1, 0.0)["test"]) == 0
    for val, test in [(-0.1, 0.1), (0.1, -0.1), (1.0, 0.0), (0.0, 1.0), (0.5, 0.5),
                      (float("nan"), 0.1)]:
        with pytest.raises(ValueError, match=f"bad split fractions: val={val}, test={test}"):
            split_records(recs, val, test)


def test_small_breeds_still_give_each_held_out_split_a_photo():
    from colorgan_utils.data import ImageRecord

    def breed(name, n):
        return [ImageRecord(f"/x/Images/{name}/{name}_{i}.jpg", name, 100, 100) for i in range(n)]

    sizes = lambda s: {k: len(v) for k, v in s.items()}  # noqa: E731
    # 3 photos at 10%: round(0.3) = 0, but a held-out split gets at least one
    assert sizes(split_records(breed("n1-A", 3))) == {"train": 1, "val": 1, "test": 1}
    assert sizes(split_records(breed("n1-A", 2))) == {"train": 2, "val": 0, "test": 0}
    assert sizes(split_records(breed("n1-A", 3), 0.0, 0.1)) == {"train": 2, "val": 0, "test": 1}
    both = split_records(breed("n1-A", 3) + breed("n2-B", 25))  # breed by breed
    assert sizes(both) == {"train": 1 + 21, "val": 1 + 2, "test": 1 + 2}  # round(2.5) = 2


def test_subsample_and_name_hash_choose_by_name_not_by_position():
    from colorgan_utils.data import ImageRecord

    recs = [ImageRecord(f"/x/Images/n1-A/n1_{i}.jpg", "n1-A", 100, 100) for i in range(200)]
    hashes = [name_hash(r.path) for r in recs]
    assert len(set(hashes)) == 200 and 0.4 < np.mean(hashes) < 0.6  # spread over [0, 1)
    picked = subsample(recs, 20)
    lowest = sorted(range(200), key=lambda i: hashes[i])[:20]
    assert picked == [recs[i] for i in sorted(lowest)]  # the 20 lowest hashes, in order
    assert picked != recs[:20]


# ------------------------------------------------------------------ planted bugs that got through


def _gradient_photo(path: Path, side: int = 40) -> Path:
    """A PNG whose lightness rises left to right and top to bottom and whose colour is a
    function of its lightness (dark: red, light: green): L and ab pair up pixel by pixel."""
    from skimage.color import lab2rgb

    i, j = np.mgrid[0:side, 0:side] / (side - 1)
    lum = 25 + 50 * (0.7 * j + 0.3 * i)
    t = (lum - 25) / 50  # 0 dark .. 1 light
    lab = np.stack([lum, 40 - 80 * t, 20 * np.ones_like(t)], axis=-1)
    rgb = (np.clip(lab2rgb(lab), 0, 1) * 255).round().astype(np.uint8)
    Image.fromarray(rgb).save(path)
    return path


def test_augmentation_keeps_l_and_ab_aligned_pixel_for_pixel(tmp_path):
    """Crops and flips move L and ab together: after augmentation every pixel's colour is
    still the one its lightness had (a crop or flip of one of them alone breaks the pairing)."""
    import keras

    from colorgan_utils.color import lab_normalized_to_rgb

    keras.utils.set_random_seed(1)
    photos = [_gradient_photo(tmp_path / f"p{k}.png") for k in range(8)]
    cfg = SMOKE.replace(shuffle_buffer=1)
    stream = iter(make_dataset(photos, cfg, training=True, batch_size=8, repeat=True))
    crops = set()
    for _ in range(3):
        lum, ab = next(stream)
        lum, ab = lum.numpy(), ab.numpy()
        crops |= {lum[k].tobytes() for k in range(8)}
        l100 = (lum[..., 0] + 1) * 50  # back to L in [0, 100]
        a = ab[..., 0] * 110  # the networks' ab scale (colour.AB_SCALE)
        want = 40 - 80 * (l100 - 25) / 50
        assert np.abs(a - want).max() < 8, "L and ab were cropped or flipped apart"
        assert np.isfinite(lab_normalized_to_rgb(lum, ab).numpy()).all()
    assert len(crops) > 3, "the augmentation did not vary"


def test_a_colour_photo_with_little_colour_is_not_black_and_white(tmp_path):
    """Black and white means BOTH a low mean chroma and a low 99th percentile: a gray photo
    with one small red collar has a low mean but is a colour photo, kept for training."""
    img = np.full((64, 64, 3), 128, np.uint8)
    img[30:34, 10:22] = (200, 30, 30)  # 48 of 4,096 pixels: mean chroma 2.0, p99 170
    Image.fromarray(img).save(tmp_path / "collar.png")
    status, _, _, _ = check_image(tmp_path / "collar.png", 32)
    assert status == "ok"
    img[30:34, 10:22] = 128
    img[:, :, 0] += 2  # a faint tint everywhere, no strong colour: low mean, low p99
    Image.fromarray(img).save(tmp_path / "tint.png")
    assert check_image(tmp_path / "tint.png", 32)[0] == "black_and_white"


def test_a_file_name_that_is_not_utf8_is_rejected_by_name_and_training_data_still_loads(
        tmp_path, photo_paths):
    """A name with bytes that are not UTF-8 (a camera or an old archive can write one) is
    rejected by the scan, named with its bytes escaped, and never reaches TensorFlow: the split
    and the pipeline run on the other photos."""
    import json
    import os

    from colorgan_utils.data import load_splits, make_dataset, scan_folder

    breed = tmp_path / "Images" / "n02085620-Chihuahua"
    breed.mkdir(parents=True)
    for i, p in enumerate(photo_paths[:4]):
        shutil.copy(p, breed / f"ok{i}.jpg")
    bad = os.fsencode(breed) + b"/bad\xff\xfe.jpg"
    shutil.copy(photo_paths[0], bad)
    report = scan_folder(tmp_path, min_side=32)
    assert len(report.good) == 4 and len(report.rejected) == 1
    issue = report.rejected[0]
    assert issue.path.endswith("bad\\xff\\xfe.jpg") and "not valid UTF-8" in issue.reason
    assert "bad\\xff\\xfe.jpg" in report.format()
    json.dumps(report.to_dict()).encode("utf-8")  # printable and writable as UTF-8
    cfg = get_config("smoke", environ={})  # 32 px, shorter sides of 32 px and more
    _, splits = load_splits(cfg.replace(data_dir=str(tmp_path)))
    records = sum(splits.values(), [])
    assert len(records) == 4
    lum, ab = next(iter(make_dataset(records, cfg, training=False, batch_size=4, cache=False)))
    assert lum.shape[0] == 4


def test_data_readme_states_what_scan_finds_on_the_small_subset():
    """data/README.md's sentence about stanford-dogs-small is what scan reports there (where
    the subset is present; elsewhere the sentence is checked for its numbers only)."""
    import re

    from colorgan_utils.config import get_config
    from colorgan_utils.data import scan_folder

    root = Path(__file__).resolve().parents[1]
    text = " ".join((root / "data" / "README.md").read_text().split())
    m = re.search(r"it finds (\d+) black-and-white photos stored as RGB and rejects (\d+) whose "
                  r"shorter side is under 128 px", text)
    assert m, "data/README.md no longer states what scan finds"
    small = root.parent / "shared" / "data" / "stanford-dogs-small"
    if small.is_dir():
        report = scan_folder(small, get_config("cpu", environ={})).to_dict()
        found = (len(report["black_and_white"]), len(report["rejected"]))
        assert found == tuple(map(int, m.groups()))
