"""Stanford Dogs: download, scan and validate, deterministic split, and the tf.data pipeline.

Taught in notebook 01 (``01_data_preparation.ipynb``). Every source of images goes through one
code path: a folder in the dataset's layout, ``Images/<wnid>-<Breed>/<wnid>_<n>.jpg`` (the
official ``images.tar`` extracted, any copy of it on Drive, or the test subsets).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tarfile
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np
from PIL import Image, UnidentifiedImageError

from colorgan_utils.config import Config

STANFORD_DOGS_URL = "http://vision.stanford.edu/aditya86/ImageNetDogs/images.tar"
STANFORD_DOGS_BYTES = 793_579_520
STANFORD_DOGS_MD5 = "1bb1f2a596ae7057f99d7d75860002ef"
STANFORD_DOGS_IMAGES = 20_580
LAYOUT_HINT = "Images/<wnid>-<Breed>/*.jpg (e.g. Images/n02085620-Chihuahua/n02085620_7.jpg)"

BLACK_AND_WHITE_MODES = {"1", "L", "LA", "I", "F", "I;16", "I;16B", "I;16L", "I;16N", "La"}
READABLE_FORMATS = {"JPEG", "PNG"}


from colorgan_utils.errors import DataError  # noqa: E402  (re-exported: data.DataError)


# --------------------------------------------------------------------------- download


def _check_writable(folder: Path, what: str) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataError(f"cannot create the {what} folder {folder}: {exc}") from exc
    if not os.access(folder, os.W_OK):
        raise DataError(f"the {what} folder {folder} is not writable: choose another one")


def download_stanford_dogs(
    cache_dir: str | os.PathLike | None = None,
    extract_dir: str | os.PathLike | None = None,
    origin: str = STANFORD_DOGS_URL,
    md5: str | None = STANFORD_DOGS_MD5,
    expected_bytes: int | None = STANFORD_DOGS_BYTES,
    verbose: bool = True,
) -> Path:
    """Download (once) and extract the official ``images.tar``; return the dataset root.

    The tar is kept in ``cache_dir`` (on Colab: a Drive folder, so it survives a reset) and
    checked by size and MD5; it is extracted into ``extract_dir`` (the machine's local disk),
    into ``<extract_dir>/stanford-dogs/Images/<wnid>-<Breed>/``. A finished extraction is
    recorded, so a second call returns at once. ``origin`` may be a ``file://`` URL.
    """
    from colorgan_utils import env
    import keras

    cache = Path(cache_dir) if cache_dir else env.data_cache_dir()
    target_root = Path(extract_dir) if extract_dir else env.local_data_dir()
    _check_writable(cache, "download cache")
    _check_writable(target_root, "extraction")
    root = target_root / "stanford-dogs"
    marker = root / ".extracted"
    if marker.is_file() and (root / "Images").is_dir():
        if verbose:
            print(f"Stanford Dogs already extracted at {root}")
        return root

    try:
        tar_path = Path(keras.utils.get_file(
            fname="images.tar", origin=origin, file_hash=md5, hash_algorithm="md5",
            cache_dir=str(cache), cache_subdir=".",
        ))
    except ValueError as exc:  # keras: hash mismatch after the download
        raise DataError(
            f"the download from {origin} into {cache / 'images.tar'} is corrupt "
            f"(MD5 is not {md5}); delete it and run again: {exc}"
        ) from exc
    except Exception as exc:  # network errors come as plain Exception from keras
        raise DataError(f"cannot download {origin} into {cache}: {exc}") from exc
    size = tar_path.stat().st_size
    if expected_bytes is not None and size != expected_bytes:
        raise DataError(
            f"{tar_path} has {size:,} bytes, expected {expected_bytes:,}: the download is "
            "incomplete or not the Stanford Dogs images.tar; delete it and run again"
        )
    extract_tar(tar_path, root, verbose=verbose)
    if not (root / "Images").is_dir():
        raise DataError(f"{tar_path} holds no Images/ folder; expected {LAYOUT_HINT}")
    marker.write_text(f"{tar_path.name} {size} {md5}\n")
    return root


def extract_tar(tar_path: str | os.PathLike, dest: str | os.PathLike,
                verbose: bool = True) -> Path:
    """Extract a tar into ``dest`` with a progress bar; a half-finished extraction is redone.

    Files go to a temporary sibling folder first and are moved in place when all are out, so
    an interrupted extraction never looks complete. Unsafe members (absolute paths, ``..``,
    links out of the folder) are refused by ``tarfile``'s ``data`` filter.
    """
    import keras

    tar_path, dest = Path(tar_path), Path(dest)
    tmp = dest.with_name(dest.name + ".partial")
    if tmp.exists():
        shutil.rmtree(tmp)
    try:
        with tarfile.open(tar_path) as tar:
            members = tar.getmembers()
            bar = keras.utils.Progbar(len(members), unit_name="file") if verbose else None
            for i, member in enumerate(members, 1):
                tar.extract(member, tmp, filter="data")
                if bar is not None and (i % 500 == 0 or i == len(members)):
                    bar.update(i)
    except (tarfile.TarError, OSError) as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise DataError(f"cannot extract {tar_path}: {exc}") from exc
    dest.mkdir(parents=True, exist_ok=True)
    for child in tmp.iterdir():
        final = dest / child.name
        if final.exists():
            shutil.rmtree(final) if final.is_dir() else final.unlink()
        child.rename(final)
    tmp.rmdir()
    return dest


# --------------------------------------------------------------------------- scanning


@dataclass(frozen=True)
class ImageRecord:
    """One usable photo: its path, breed folder and size in pixels."""

    path: str
    breed: str
    width: int
    height: int

    @property
    def breed_name(self) -> str:
        return breed_name(self.breed)


@dataclass(frozen=True)
class FileIssue:
    """A file that was rejected, or flagged, with the reason in words."""

    path: str
    breed: str
    reason: str


@dataclass
class ScanReport:
    """What :func:`scan_folder` found: usable colour photos, B&W photos, rejects and notes."""

    root: str
    good: list[ImageRecord] = field(default_factory=list)
    black_and_white: list[FileIssue] = field(default_factory=list)
    rejected: list[FileIssue] = field(default_factory=list)
    notes: list[FileIssue] = field(default_factory=list)
    empty: list[str] = field(default_factory=list)  # breed folders with no files at all

    @property
    def breeds(self) -> list[str]:
        found = ({r.breed for r in self.good} | {i.breed for i in self.black_and_white + self.rejected}
                 | set(self.empty))
        return sorted(b for b in found if b)

    @property
    def n_files(self) -> int:
        return len(self.good) + len(self.black_and_white) + len(self.rejected)

    def per_breed(self) -> dict[str, dict[str, int]]:
        """Counts of usable, black-and-white and rejected files for each breed folder."""
        table: dict[str, dict[str, int]] = {
            b: {"color": 0, "black_and_white": 0, "rejected": 0} for b in self.breeds
        }
        for r in self.good:
            table[r.breed]["color"] += 1
        for i in self.black_and_white:
            table[i.breed]["black_and_white"] += 1
        for i in self.rejected:
            if i.breed:
                table[i.breed]["rejected"] += 1
        return table

    def summary(self) -> str:
        return (
            f"{self.n_files} files in {len(self.breeds)} breeds: {len(self.good)} colour photos "
            f"usable for training, {len(self.black_and_white)} black-and-white kept out of colour "
            f"training, {len(self.rejected)} rejected, {len(self.notes)} with notes"
        )

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data (good files are counted, not listed)."""
        return {
            "root": self.root,
            "files": self.n_files,
            "color": len(self.good),
            "black_and_white": [asdict(i) for i in self.black_and_white],
            "rejected": [asdict(i) for i in self.rejected],
            "notes": [asdict(i) for i in self.notes],
            "empty_breeds": list(self.empty),
            "per_breed": self.per_breed(),
            "summary": self.summary(),
        }

    def format(self) -> str:
        """The report as text: a table of breeds, every flagged file with its reason, a summary."""
        lines = [f"Scan of {self.root}", "", f"{'breed':<40} {'colour':>7} {'b&w':>5} {'bad':>5}"]
        for b, c in self.per_breed().items():
            lines.append(
                f"{b:<40} {c['color']:>7} {c['black_and_white']:>5} {c['rejected']:>5}"
            )
        for title, items in (("Rejected (left out)", self.rejected),
                             ("Black-and-white (kept out of colour training)", self.black_and_white),
                             ("Notes (used)", self.notes)):
            if items:
                lines += ["", f"{title}: {len(items)}"]
                lines += [f"  {i.path}: {i.reason}" for i in items]
        if self.empty:
            lines += ["", f"Empty breed folders (no files): {len(self.empty)}"]
            lines += [f"  {b}/" for b in self.empty]
        lines += ["", self.summary()]
        return "\n".join(lines)


def breed_name(folder: str) -> str:
    """``n02085620-Chihuahua`` -> ``Chihuahua``; ``n02089078-black-and-tan_coonhound`` ->
    ``black-and-tan coonhound``."""
    name = folder.split("-", 1)[1] if "-" in folder else folder
    return name.replace("_", " ")


def find_images_root(path: str | os.PathLike) -> Path:
    """The folder holding the breed folders: ``path/Images`` or ``path`` itself.

    Raises :class:`DataError` naming the path and the expected layout when there is none.
    """
    p = Path(path).expanduser()
    if not p.exists():
        raise DataError(f"{p} does not exist: expected a folder with {LAYOUT_HINT}")
    if not p.is_dir():
        raise DataError(f"{p} is not a folder: expected a folder with {LAYOUT_HINT}")
    for candidate in (p / "Images", p):
        if candidate.is_dir() and any(
            c.is_dir() and not c.name.startswith(".") for c in candidate.iterdir()
        ):
            return candidate
    raise DataError(f"{p} holds no breed folders: expected {LAYOUT_HINT}")


def _chroma_stats(im: Image.Image) -> tuple[float, float]:
    """Mean and 99th percentile of max(R,G,B) - min(R,G,B) over a 64 px thumbnail (0..255)."""
    small = im.convert("RGB")
    small.thumbnail((64, 64))
    a = np.asarray(small, dtype=np.int16)
    c = a.max(axis=-1) - a.min(axis=-1)
    return float(c.mean()), float(np.percentile(c, 99))


def is_utf8(path: str | os.PathLike) -> bool:
    """Whether a file name can be handed to TensorFlow (a name that is not valid UTF-8 comes
    back from ``os.listdir`` with surrogate escapes, and ``tf.io.read_file`` refuses it)."""
    try:
        str(path).encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


def printable(path: str | os.PathLike) -> str:
    """A file name safe to print and to write as UTF-8 JSON: bytes that are not valid UTF-8
    shown as ``\\xff``."""
    return os.fsencode(str(path)).decode("utf-8", "backslashreplace")


def check_image(path: str | os.PathLike, min_side: int, bw_mean_chroma: float = 2.5,
                bw_p99_chroma: float = 10.0) -> tuple[str, str, int, int]:
    """Check one file once. Returns ``(status, reason, width, height)``.

    ``status`` is ``"ok"``, ``"note"`` (usable, reason says what was odd), ``"black_and_white"``
    (a black-and-white photo) or ``"rejected"``.
    """
    path = Path(path)
    if not is_utf8(path):
        return ("rejected", "the file name (or its folder's) is not valid UTF-8, which "
                "TensorFlow cannot open: rename it", 0, 0)
    try:
        if path.stat().st_size == 0:
            return "rejected", "empty file (0 bytes)", 0, 0
        with Image.open(path) as im:
            fmt, mode, (w, h) = im.format, im.mode, im.size
            if fmt not in READABLE_FORMATS:
                return "rejected", f"{fmt} file: only JPEG and PNG are read", w, h
            if fmt == "JPEG":
                im.draft("RGB", (max(64, min_side), max(64, min_side)))
            im.load()  # full decode: truncated or corrupt data fails here
            if min(w, h) < min_side:
                return ("rejected", f"too small: {w}x{h} px, the shorter side must be at least "
                        f"{min_side} px", w, h)
            if mode in BLACK_AND_WHITE_MODES:
                depth = " 16-bit" if mode.startswith("I") else ""
                return "black_and_white", f"black-and-white{depth} file (mode {mode})", w, h
            mean_c, p99_c = _chroma_stats(im)
    except UnidentifiedImageError:
        return "rejected", "not an image (the format cannot be identified)", 0, 0
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        return "rejected", f"cannot decode: {exc}", 0, 0
    if mean_c < bw_mean_chroma and p99_c < bw_p99_chroma:
        return ("black_and_white", f"black-and-white photo stored as {mode} (channels near-equal: "
                f"mean chroma {mean_c:.1f}, 99th percentile {p99_c:.0f} of 255)", w, h)
    notes = []
    if mode == "CMYK":
        notes.append("CMYK colour model, read as RGB")
    elif mode in ("RGBA", "PA") or (mode == "P" and "transparency" in im.info):
        notes.append("alpha channel dropped")
    elif mode == "P":
        notes.append("palette image, read as RGB")
    if fmt == "PNG" and path.suffix.lower() in (".jpg", ".jpeg"):
        notes.append("PNG data in a .jpg file (read by content)")
    if notes:
        return "note", "; ".join(notes), w, h
    return "ok", "", w, h


def _scan_key(jobs: list[tuple[Path, str]], side: int, cfg: Config) -> str:
    """What a scan's result depends on: every file's name, size and modification time, and the
    checks' settings and version (v3: names that are not UTF-8 rejected)."""
    h = hashlib.sha1(f"v3 {side} {cfg.bw_mean_chroma} {cfg.bw_p99_chroma}\n".encode())
    for f, _ in jobs:
        st = f.stat()
        h.update(os.fsencode(f) + f" {st.st_size} {st.st_mtime_ns}\n".encode())
    return h.hexdigest()


def scan_cache_file(images_root: Path) -> Path:
    """Where the scan of a data folder is cached: the work folder (never the data folder, which
    may be read-only or shared), one file per folder."""
    from colorgan_utils import env

    tag = hashlib.sha1(os.fsencode(Path(images_root).resolve())).hexdigest()[:16]
    return env.work_dir() / "cache" / f"scan-{tag}.json"


def _read_scan_cache(path: Path, key: str, report: "ScanReport") -> bool:
    import json

    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return False
    if not isinstance(data, dict) or data.get("key") != key:
        return False
    report.good = [ImageRecord(*r) for r in data["good"]]
    report.black_and_white = [FileIssue(*i) for i in data["black_and_white"]]
    report.rejected = [FileIssue(*i) for i in data["rejected"]]
    report.notes = [FileIssue(*i) for i in data["notes"]]
    report.empty = list(data["empty"])
    return True


def _write_scan_cache(path: Path, key: str, report: "ScanReport") -> None:
    import json

    data = {"key": key, "good": [list(asdict(r).values()) for r in report.good],
            **{k: [list(asdict(i).values()) for i in getattr(report, k)]
               for k in ("black_and_white", "rejected", "notes")},
            "empty": report.empty}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(data))
        os.replace(tmp, path)
    except OSError:  # an unwritable work folder only costs the next scan its speed
        pass


def scan_folder(path: str | os.PathLike, cfg: Config | None = None,
                min_side: int | None = None, workers: int | None = None,
                verbose: bool = False, cache: bool = False) -> ScanReport:
    """Check every file under a Stanford Dogs style folder once; see :class:`ScanReport`.

    An empty or missing folder raises :class:`DataError` naming the path and the layout.
    ``cache=True`` (what :func:`load_splits`, and so notebooks 02-05, ``train`` and
    ``evaluate`` use) keeps the result in the work folder, keyed by every file's name, size and
    modification time: the next scan of an unchanged folder decodes nothing. The ``scan``
    command always checks every file.
    """
    cfg = cfg or Config()
    side = min_side if min_side is not None else cfg.min_image_side
    images_root = find_images_root(path)
    report = ScanReport(root=str(Path(path).expanduser()))
    jobs: list[tuple[Path, str]] = []
    for child in sorted(images_root.iterdir()):
        if child.name.startswith("."):
            continue
        if child.is_dir():
            files = [(f, child.name) for f in sorted(child.iterdir())
                     if f.is_file() and not f.name.startswith(".")]
            if not files:
                report.empty.append(child.name)
            jobs += files
        else:
            report.rejected.append(FileIssue(str(child), "", "outside a breed folder"))
    if not jobs:
        raise DataError(f"{images_root} holds no image files: expected {LAYOUT_HINT}")
    cache_file = key = None
    if cache:
        cache_file, key = scan_cache_file(images_root), _scan_key(jobs, side, cfg)
        if _read_scan_cache(cache_file, key, report):
            if verbose:
                print(f"{len(jobs)} files unchanged since the last scan ({cache_file})")
            return report

    def run(job: tuple[Path, str]) -> tuple[str, str, int, int]:
        return check_image(job[0], side, cfg.bw_mean_chroma, cfg.bw_p99_chroma)

    bar = None
    if verbose:
        import keras

        bar = keras.utils.Progbar(len(jobs), unit_name="file")
    with ThreadPoolExecutor(max_workers=workers or min(8, (os.cpu_count() or 1) * 2)) as pool:
        for i, ((f, breed), (status, reason, w, h)) in enumerate(zip(jobs, pool.map(run, jobs))):
            if status in ("ok", "note"):
                report.good.append(ImageRecord(str(f), breed, w, h))
                if status == "note":
                    report.notes.append(FileIssue(str(f), breed, reason))
            elif status == "black_and_white":
                report.black_and_white.append(FileIssue(str(f), breed, reason))
            else:
                report.rejected.append(FileIssue(printable(f), printable(breed), reason))
            if bar is not None and ((i + 1) % 200 == 0 or i + 1 == len(jobs)):
                bar.update(i + 1)
    if not report.good and not report.black_and_white:
        raise DataError(
            f"{images_root} holds no usable photos ({len(report.rejected)} files rejected, "
            f"first: {report.rejected[0].path}: {report.rejected[0].reason})"
        )
    if cache_file is not None and key is not None:
        _write_scan_cache(cache_file, key, report)
    return report


# --------------------------------------------------------------------------- split


def name_hash(path: str) -> float:
    """A number in [0, 1) from the file's name alone: the same on every machine."""
    digest = hashlib.sha1(Path(path).name.encode("utf-8")).hexdigest()
    return int(digest[:12], 16) / float(16**12)


def subsample(records: Sequence[ImageRecord], n: int | None) -> list[ImageRecord]:
    """At most ``n`` records, chosen by name hash (deterministic), in their original order."""
    if n is None or n >= len(records):
        return list(records)
    keep = set(sorted(range(len(records)), key=lambda i: name_hash(records[i].path))[:n])
    return [r for i, r in enumerate(records) if i in keep]


def split_records(records: Iterable[ImageRecord], val_fraction: float = 0.1,
                  test_fraction: float = 0.1) -> dict[str, list[ImageRecord]]:
    """Split into ``train``/``val``/``test`` by file-name hash, stratified by breed.

    Within each breed the files are ordered by :func:`name_hash`; the first ``test_fraction``
    go to test, the next ``val_fraction`` to val, the rest to train (each held-out split gets
    at least one file of a breed with 3 or more files).
    """
    if not (val_fraction >= 0 and test_fraction >= 0 and val_fraction + test_fraction < 1):
        raise ValueError(f"bad split fractions: val={val_fraction}, test={test_fraction}")
    by_breed: dict[str, list[ImageRecord]] = defaultdict(list)
    for r in records:
        by_breed[r.breed].append(r)
    out: dict[str, list[ImageRecord]] = {"train": [], "val": [], "test": []}
    for breed in sorted(by_breed):
        items = sorted(by_breed[breed], key=lambda r: (name_hash(r.path), r.path))
        n = len(items)

        def count(frac: float) -> int:
            k = int(round(n * frac))
            return max(k, 1) if frac > 0 and n >= 3 else k

        n_test, n_val = count(test_fraction), count(val_fraction)
        out["test"] += items[:n_test]
        out["val"] += items[n_test:n_test + n_val]
        out["train"] += items[n_test + n_val:]
    return out


def breed_counts(records: Iterable[ImageRecord]) -> Counter:
    """Number of records per breed folder."""
    return Counter(r.breed for r in records)


# --------------------------------------------------------------------------- tf.data


def decode_rgb(path: Any) -> Any:
    """One photo file as float32 RGB in [0, 1], read inside ``tf.data`` by the package's one
    photo reader (:func:`colorgan_utils.photos.read_photo`: EXIF orientation applied,
    black-and-white files as 3 equal channels), so training sees what ``colorize`` sees."""
    import tensorflow as tf

    from colorgan_utils.photos import read_rgb

    img = tf.numpy_function(read_rgb, [path], tf.float32, stateful=False)
    img.set_shape([None, None, 3])
    return img


def resize_center_crop(img: Any, side: int) -> Any:
    """Resize so the shorter side is ``side`` (antialiased), then crop the central square."""
    import tensorflow as tf

    shape = tf.shape(img)
    h, w = tf.cast(shape[0], tf.float32), tf.cast(shape[1], tf.float32)
    scale = float(side) / tf.minimum(h, w)
    new_h = tf.maximum(side, tf.cast(tf.round(h * scale), tf.int32))
    new_w = tf.maximum(side, tf.cast(tf.round(w * scale), tf.int32))
    img = tf.image.resize(img, tf.stack([new_h, new_w]), antialias=True)
    top, left = (new_h - side) // 2, (new_w - side) // 2
    img = img[top:top + side, left:left + side]
    img = tf.clip_by_value(img, 0.0, 1.0)
    return tf.ensure_shape(img, [side, side, 3])


def _lab_square(path: Any, side: int) -> Any:
    """File -> normalised Lab square ``[side, side, 3]`` (L, a, b in [-1, 1]) as float16."""
    import tensorflow as tf

    from colorgan_utils.color import rgb_to_lab_normalized

    lum, ab = rgb_to_lab_normalized(resize_center_crop(decode_rgb(path), side))
    return tf.cast(tf.concat([lum, ab], axis=-1), tf.float16)


def random_crop_flip(batch: Any, size: int, seed: Any = None) -> Any:
    """Per-image random ``size`` crop and horizontal flip of a batch ``[B, S, S, C]``.

    Vectorised with ``tf.gather`` so one op serves the whole batch.
    """
    import tensorflow as tf

    shape = tf.shape(batch)
    b, s = shape[0], shape[1]
    offs = tf.random.uniform([b, 2], 0, s - size + 1, dtype=tf.int32, seed=seed)
    rows = offs[:, :1] + tf.range(size)[None]
    cols = offs[:, 1:] + tf.range(size)[None]
    flip = tf.random.uniform([b, 1], seed=seed) < 0.5
    cols = tf.where(flip, cols[:, ::-1], cols)
    out = tf.gather(batch, rows, axis=1, batch_dims=1)
    return tf.gather(out, cols, axis=2, batch_dims=1)


def make_dataset(
    paths: Sequence[str] | Sequence[ImageRecord],
    cfg: Config,
    training: bool,
    batch_size: int | None = None,
    cache: bool | str = True,
    drop_remainder: bool | None = None,
    repeat: bool = False,
    hints: Any = None,
) -> Any:
    """A ``tf.data.Dataset`` of ``(L, ab)`` batches, both in [-1, 1].

    Each file is decoded, resized and converted to Lab once, then cached (in memory, or in
    the file named by ``cache``). Training: shuffled, random crop of ``image_size`` from a
    ``load_size`` square, random flip. Evaluation: the centre ``image_size`` square, in order.
    Files that fail to decode are skipped with a warning instead of stopping an epoch.
    ``repeat=True`` gives an endless stream, so that ``fit``/``evaluate`` count the steps
    (:func:`steps_for`); Keras mis-averages metrics over a stream of unknown length.

    ``hints`` (a :class:`colorgan_utils.hints.Sampling`): the first element is the hinted
    generator's input ``[L, hint a, hint b, mask]`` instead of L, with hints simulated from
    each photo's own colours after the crop, seeded by ``cfg.seed`` and the batch's number
    (an evaluation pass gets the same hints every time). Notebook 07.
    """
    import tensorflow as tf

    # bytes, not str: a file name that is not valid UTF-8 (caf\xe9.jpg) still reaches TF
    files = [os.fsencode(p.path if isinstance(p, ImageRecord) else str(p)) for p in paths]
    if not files:
        raise DataError("make_dataset() got no files: scan a data folder first")
    bs = batch_size or cfg.batch_size
    side = cfg.load_size if training else cfg.image_size
    auto = tf.data.AUTOTUNE
    ds = tf.data.Dataset.from_tensor_slices(files)
    ds = ds.map(lambda p: _lab_square(p, side), num_parallel_calls=auto,
                deterministic=not training)
    ds = ds.ignore_errors(log_warning=True)
    if cache:
        ds = ds.cache(cache if isinstance(cache, str) else "")
    if training:
        ds = ds.shuffle(min(cfg.shuffle_buffer, len(files)), seed=cfg.seed,
                        reshuffle_each_iteration=True)
    if repeat and training:
        ds = ds.repeat()
    drop = training if drop_remainder is None else drop_remainder
    ds = ds.batch(bs, drop_remainder=drop and len(files) >= bs)
    size = cfg.image_size

    def split(lab: Any) -> tuple[Any, Any]:
        if training:
            lab = random_crop_flip(lab, size)
        lab = tf.cast(lab, tf.float32)
        return lab[..., :1], lab[..., 1:]

    if hints is None:
        ds = ds.map(split, num_parallel_calls=auto)
    else:
        from colorgan_utils import hints as hinting

        def hinted(i: Any, lab: Any) -> tuple[Any, Any]:
            lum, ab = split(lab)
            seed = tf.stack([tf.constant(cfg.seed, tf.int64), i])
            hint_ab, mask = hinting.simulate(ab, seed, hints)
            return hinting.generator_input(lum, hint_ab, mask), ab

        # numbered after the repeat for training (new hints every step), before it for
        # evaluation (the same hints every pass)
        ds = ds.enumerate().map(hinted, num_parallel_calls=auto)
    if repeat and not training:
        ds = ds.repeat()  # whole batches repeat: `steps_for` of them is exactly one pass
    return ds.prefetch(auto)


def steps_for(n_files: int, batch_size: int, training: bool) -> int:
    """Batches in one pass over ``n_files``: whole batches for training, all for evaluation."""
    if training:
        return max(1, n_files // batch_size)
    return max(1, -(-n_files // batch_size))


def load_splits(cfg: Config, verbose: bool = False
                ) -> tuple[ScanReport, dict[str, list[ImageRecord]]]:
    """Scan ``cfg.data_dir`` (set by :func:`locate`; cached: an unchanged folder is not decoded
    again), cap at ``cfg.max_images``, split."""
    if not cfg.data_dir:
        raise DataError("no data folder: set COLORGAN_DATA_DIR, or give the settings one with "
                        "data.locate(cfg, data=...)")
    report = scan_folder(cfg.data_dir, cfg, verbose=verbose, cache=True)
    records = subsample(report.good, cfg.max_images)
    return report, split_records(records, cfg.val_fraction, cfg.test_fraction)


def images_per_second(ds: Any) -> tuple[float, int]:
    """Iterate a dataset of ``(L, ab)`` batches once; return (images/s, images)."""
    import time

    t0, n = time.perf_counter(), 0
    for lum, _ in ds:
        n += int(lum.shape[0])
    return n / max(time.perf_counter() - t0, 1e-9), n


def locate(cfg: Config, data: str | os.PathLike | None = None, download: bool = False,
           stand_in: bool = False) -> Config:
    """The one rule for which photos to use; returns ``cfg`` with ``data_dir`` set to them (the
    folder then travels in the settings only). In order: ``data`` (the command line's
    ``--data``); ``cfg.data_dir`` (``COLORGAN_DATA_DIR``); the dataset already extracted on this
    machine (by notebook 01 or an earlier download: nothing is downloaded); the official
    download when ``download`` is true (the tar is fetched at most once, kept on Drive when
    mounted, and extracted at most once per machine); a stand-in built from scikit-image's
    photos when ``stand_in`` is true (notebooks 02, 03 and 06 look at a few photos), with a
    message. Else :class:`DataError`. Taught in notebook 01.
    """
    from colorgan_utils import env

    if data or cfg.data_dir:
        return cfg.replace(data_dir=str(Path(data or cfg.data_dir).expanduser()))
    extracted = env.local_data_dir(create=False) / "stanford-dogs"
    if (extracted / ".extracted").is_file() and (extracted / "Images").is_dir():
        print(f"Using the Stanford Dogs photos already extracted at {extracted}")
        return cfg.replace(data_dir=str(extracted))
    if download:
        print("No data folder given: using the official Stanford Dogs download (cached after the "
              "first time).")
        return cfg.replace(data_dir=str(download_stanford_dogs()))
    if stand_in:
        from colorgan_utils.sample_data import make_sample_dataset

        folder = env.work_dir() / "sample-data"
        if not (folder / "Images").is_dir():
            make_sample_dataset(folder)
        print("No COLORGAN_DATA_DIR and no download asked for: using a stand-in dataset built "
              "from scikit-image's sample photos. Set COLORGAN_DATA_DIR, or DOWNLOAD = True, "
              "for dogs.")
        return cfg.replace(data_dir=str(folder))
    raise DataError("no data folder: pass --data (data=), set COLORGAN_DATA_DIR, or download "
                    "the dataset (python -m colorgan_utils train without --data, or notebook 01)")

