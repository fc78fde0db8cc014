"""Images/s of the tf.data pipeline: first epoch (decode + resize + Lab) and cached epochs.

Not a test. Run from the repository root:

    python benchmarks/pipeline_throughput.py --data ../shared/data/stanford-dogs-small

It also measures, side by side in the same run, the naive order (cache RGB, then crop, flip
and convert to Lab per image per epoch) so the printed ratio shows what converting once buys,
and the first epoch with TensorFlow's own JPEG/PNG decoder instead of the package's one photo
reader (``photos.read_photo`` in ``tf.numpy_function``: EXIF orientation, CMYK, 16-bit by mode),
to show what reading every photo the same way costs.
"""

from __future__ import annotations

import argparse

import tensorflow as tf

import colorgan_utils.data as data_module

from colorgan_utils.color import rgb_to_lab_normalized
from colorgan_utils.config import get_config
from colorgan_utils.data import (
    decode_rgb, images_per_second, load_splits, make_dataset, resize_center_crop,
)


def naive_dataset(files: list[str], cfg) -> tf.data.Dataset:
    """Cache RGB squares; per image and epoch: random crop, flip, Lab conversion."""
    auto = tf.data.AUTOTUNE
    size = cfg.image_size

    def aug(img):
        img = tf.image.random_crop(img, [size, size, 3])
        img = tf.image.random_flip_left_right(img)
        return rgb_to_lab_normalized(img)

    ds = tf.data.Dataset.from_tensor_slices(files)
    ds = ds.map(lambda p: resize_center_crop(decode_rgb(p), cfg.load_size),
                num_parallel_calls=auto).cache()
    ds = ds.shuffle(cfg.shuffle_buffer).map(aug, num_parallel_calls=auto)
    return ds.batch(cfg.batch_size, drop_remainder=True).prefetch(auto)


def tf_decode_rgb(path):
    """TensorFlow's own decoder (what the pipeline used before the one photo reader)."""
    img = tf.io.decode_image(tf.io.read_file(path), channels=3, expand_animations=False)
    img.set_shape([None, None, 3])
    return tf.image.convert_image_dtype(img, tf.float32)


def first_epochs(files, cfg, repeats: int = 2) -> dict[str, float]:
    """Best first-epoch img/s of the pipeline with each decoder, alternating."""
    reader = data_module.decode_rgb
    best = {"photo reader": 0.0, "tf decoder": 0.0}
    try:
        for _ in range(repeats):
            for name, fn in (("photo reader", reader), ("tf decoder", tf_decode_rgb)):
                data_module.decode_rgb = fn
                ds = make_dataset(files, cfg, training=False, cache=False)
                best[name] = max(best[name], images_per_second(ds)[0])
    finally:
        data_module.decode_rgb = reader
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default="../shared/data/stanford-dogs-small")
    ap.add_argument("--sizes", type=int, nargs="+", default=[64, 128])
    ap.add_argument("--epochs", type=int, default=3, help="cached epochs to time")
    ap.add_argument("--batch-size", type=int, default=64)
    args = ap.parse_args()
    print(f"TensorFlow {tf.__version__}, {tf.config.threading.get_inter_op_parallelism_threads()}"
          f" inter-op threads, devices: {[d.name for d in tf.config.list_logical_devices()]}")
    for size in args.sizes:
        cfg = get_config("cpu", image_size=size, batch_size=args.batch_size, min_side=1)
        _, splits = load_splits(cfg.replace(data_dir=args.data))
        files = splits["train"]
        ds = make_dataset(files, cfg, training=True)
        first, n = images_per_second(ds)
        cached = [images_per_second(ds)[0] for _ in range(args.epochs)]
        naive = naive_dataset([r.path for r in files], cfg)
        images_per_second(naive)
        naive_cached = [images_per_second(naive)[0] for _ in range(args.epochs)]
        best, nbest = max(cached), max(naive_cached)
        print(f"{size:>4} px, {n} train images: first epoch {first:7.0f} img/s | cached epochs "
              f"{' '.join(f'{c:.0f}' for c in cached)} img/s (best {best:.0f}) | naive cached "
              f"{nbest:.0f} img/s | ratio {best / nbest:.1f}x", flush=True)
        dec = first_epochs(files, cfg)
        print(f"{size:>4} px, decode + resize + Lab, uncached: photo reader "
              f"{dec['photo reader']:.0f} img/s, TensorFlow's decoder {dec['tf decoder']:.0f} img/s "
              f"(ratio {dec['tf decoder'] / dec['photo reader']:.2f}x)", flush=True)


if __name__ == "__main__":
    main()
