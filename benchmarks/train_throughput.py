"""Training images/s: ColorGAN's generators vs. a textbook pix2pix, and fit() vs. a plain loop.

Not a test. Prints, for each image size, measured side by side in one run on the same data:

1. textbook pix2pix (U-Net width 64 up to 512 filters, 70x70 PatchGAN width 64), a plain
   ``tf.GradientTape`` step (real and colorized through the discriminator separately, as in the tutorial);
2. the from-scratch U-Net (width 32) trained by ``ColorGAN.fit()`` with the ``cpu`` preset's
   habits (100 * L1 + GAN, the averaged generator's optimizer, a cosine schedule);
3. the generator on the pretrained MobileNetV2 encoder (the ``cpu`` preset's alpha), the same
   way, with its encoder frozen and fine-tuned (a depthwise convolution's backward pass is slow
   on CPUs: freezing skips it); ratios against 1 and 2;
4. the textbook architecture inside ``ColorGAN.fit()`` and the same step as a plain loop;
   fit() overhead = 1 - fit/plain (goal <= 5%).

With ``--gpu-precision`` on a GPU it also times the default model with mixed precision + XLA
against float32 (goal >= 2x). Run from the repository root:

    python benchmarks/train_throughput.py --sizes 128
"""

from __future__ import annotations

import argparse
import time

import keras
import tensorflow as tf

from colorgan_utils.gan import ColorGAN, fake_loss, generator_adversarial_loss, real_loss
from colorgan_utils.models import build_discriminator, build_generator


def data(size: int, batch: int) -> tf.data.Dataset:
    g = tf.random.Generator.from_seed(0)
    lum = g.uniform([batch, size, size, 1], -1, 1)
    ab = g.uniform([batch, size, size, 2], -0.3, 0.3)
    return tf.data.Dataset.from_tensors((lum, ab)).repeat().prefetch(2)


def adam() -> keras.optimizers.Optimizer:
    return keras.optimizers.Adam(2e-4, beta_1=0.5)


def plain_loop(gen, disc, ds, steps: int, joint: bool, jit: bool = False) -> float:
    """Images/s of a hand-written GradientTape step (tutorial style when ``joint`` is False)."""
    g_opt, d_opt = adam(), adam()

    @tf.function(jit_compile=jit)
    def step(lum, ab):
        with tf.GradientTape() as gt, tf.GradientTape() as dt:
            colorized = gen(lum, training=True)
            if joint:
                both = disc([tf.concat([lum, lum], 0), tf.concat([ab, colorized], 0)], training=True)
                real_logits, colorized_logits = tf.split(both, 2, axis=0)
            else:
                real_logits = disc([lum, ab], training=True)
                colorized_logits = disc([lum, colorized], training=True)
            d_loss = 0.5 * (real_loss(real_logits) + fake_loss(colorized_logits))
            g_loss = (generator_adversarial_loss(colorized_logits)
                      + 100.0 * tf.reduce_mean(tf.abs(ab - colorized)))
        g_opt.apply_gradients(zip(gt.gradient(g_loss, gen.trainable_variables),
                                  gen.trainable_variables))
        d_opt.apply_gradients(zip(dt.gradient(d_loss, disc.trainable_variables),
                                  disc.trainable_variables))
        return d_loss

    it = iter(ds)
    for _ in range(2):
        step(*next(it)).numpy()
    t0 = time.perf_counter()
    for _ in range(steps):
        loss = step(*next(it))
    loss.numpy()
    batch = int(next(it)[0].shape[0])
    return steps * batch / (time.perf_counter() - t0)


def with_fit(gen, disc, ds, steps: int, jit: bool = False, preset: bool = False) -> float:
    """Images/s of ColorGAN.fit() (after a warm-up epoch that traces the step). ``preset``: the
    ``cpu`` preset's own training (its L1 weight, the averaged generator's optimizers, the
    cosine schedule), as ``train`` builds it."""
    if preset:
        from colorgan_utils.config import get_config
        from colorgan_utils.gan import L1Colour
        from colorgan_utils.training import optimizers

        cfg = get_config("cpu", environ={})
        if not any(ly.name == "encoder" for ly in gen.layers):
            cfg = cfg.replace(encoder="scratch")
        gan = ColorGAN(gen, disc, L1Colour(cfg.l1_lambda), mismatch_weight=cfg.mismatch_weight,
                       gan_loss=cfg.gan_loss)
        gan.compile(**optimizers(cfg, 100 * steps), jit_compile=jit)
    else:
        gan = ColorGAN(gen, disc)
        gan.compile(adam(), adam(), jit_compile=jit)
    gan.fit(ds, epochs=1, steps_per_epoch=2, verbose=0)
    batch = int(next(iter(ds))[0].shape[0])
    t0 = time.perf_counter()
    gan.fit(ds, epochs=1, steps_per_epoch=steps, verbose=0)
    return steps * batch / (time.perf_counter() - t0)


def scratch_generator(size: int):
    """The from-scratch U-Net at the ``cpu`` preset's width."""
    from colorgan_utils.config import get_config

    cfg = get_config("cpu", environ={}, image_size=size)
    return build_generator(size, cfg.generator_width, cfg.generator_max_mult)


def pretrained_generator(size: int, frozen: bool):
    """The generator on MobileNetV2 (random weights: the speed does not depend on them)."""
    from colorgan_utils.config import get_config
    from colorgan_utils.encoder import set_frozen
    from colorgan_utils.models import build_pretrained_generator

    cfg = get_config("cpu", environ={}, image_size=size)
    gen = build_pretrained_generator(size, cfg.encoder_alpha, None, cfg.generator_width)
    set_frozen(gen, frozen)
    return gen


def best(fn, repeats: int) -> float:
    return max(fn() for _ in range(repeats))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[64, 128])
    ap.add_argument("--batch-size", type=int, default=32, help="the cpu preset's batch")
    ap.add_argument("--steps", type=int, default=10, help="timed steps per measurement")
    ap.add_argument("--repeats", type=int, default=3, help="best of this many measurements")
    ap.add_argument("--gpu-precision", action="store_true",
                    help="also time mixed precision + XLA vs float32 (GPU only)")
    args = ap.parse_args()
    gpus = tf.config.list_physical_devices("GPU")
    device = (tf.config.experimental.get_device_details(gpus[0]).get("device_name", "GPU")
              if gpus else "CPU")
    print(f"TensorFlow {tf.__version__}, Keras {keras.__version__}, device: {device}, "
          f"batch {args.batch_size}, best of {args.repeats} x {args.steps} steps")
    for size in args.sizes:
        ds = data(size, args.batch_size)
        ref_g, ref_d = build_generator(size, 64, max_mult=8), build_discriminator(size, 64)
        textbook = best(lambda: plain_loop(ref_g, ref_d, ds, args.steps, joint=False),
                        args.repeats)
        ours = best(lambda: with_fit(scratch_generator(size), build_discriminator(size), ds,
                                     args.steps, preset=True), args.repeats)
        frozen, tuned = (best(lambda: with_fit(pretrained_generator(size, f),
                                               build_discriminator(size), ds, args.steps,
                                               preset=True), args.repeats)
                         for f in (True, False))
        plain_joint = best(lambda: plain_loop(ref_g, ref_d, ds, args.steps, joint=True),
                           args.repeats)
        fit_textbook = best(lambda: with_fit(build_generator(size, 64, max_mult=8),
                                             build_discriminator(size, 64), ds, args.steps),
                            args.repeats)
        print(f"{size:>4} px | textbook pix2pix, plain loop: {textbook:8.1f} img/s | "
              f"from-scratch U-Net, fit(): {ours:8.1f} img/s | ratio {ours / textbook:5.1f}x")
        for name, speed in (("frozen", frozen), ("fine-tuned", tuned)):
            print(f"{size:>4} px | pretrained MobileNetV2 encoder {name:>10}, fit(): "
                  f"{speed:8.1f} img/s | vs textbook {speed / textbook:5.1f}x | vs from-scratch "
                  f"{speed / ours:5.2f}x")
        print(f"{size:>4} px | model alone (both in ColorGAN.fit()): from-scratch {ours:8.1f} vs "
              f"textbook {fit_textbook:8.1f} img/s = {ours / fit_textbook:5.1f}x")
        print(f"{size:>4} px | textbook arch: plain loop {plain_joint:8.1f} img/s, ColorGAN.fit() "
              f"{fit_textbook:8.1f} img/s | fit() overhead {1 - fit_textbook / plain_joint:+.1%} "
              f"(goal <= 5%)")
        if args.gpu_precision and gpus:
            fp32 = best(lambda: with_fit(scratch_generator(size), build_discriminator(size), ds,
                                         args.steps), args.repeats)
            keras.mixed_precision.set_global_policy("mixed_float16")
            try:
                mixed = best(lambda: with_fit(scratch_generator(size), build_discriminator(size),
                                              ds, args.steps, jit=True), args.repeats)
            finally:
                keras.mixed_precision.set_global_policy("float32")
            print(f"{size:>4} px | {device}: float32 {fp32:8.1f} img/s, mixed_float16 + XLA "
                  f"{mixed:8.1f} img/s | speed-up {mixed / fp32:4.2f}x (goal >= 2x)")


if __name__ == "__main__":
    main()
