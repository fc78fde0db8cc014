"""Issue 8's GPU check on a machine that has JAX but no TensorFlow: the same Keras 3 models,

Runs at commit 9065a28 (``git checkout 9065a28 -- colorgan_utils research``): the objectives it
trains have since left the package's settings (research/README.md).
trained with the same losses, on the JAX backend (XLA-compiled), then brought back home.

Not a test. The GPU machines lent to this project carry JAX but no TensorFlow, and cannot
install it (no package index there; TensorFlow's GPU wheels are over 1 GB). Keras 3 runs
``models.build_generator``/``build_discriminator`` unchanged on JAX, so this script re-states
``ColorGAN.train_step`` (:mod:`colorgan_utils.gan`) in JAX — same losses, same warm-up, same
"best" rule — and writes each generator in the shipped ``.npz`` format, which the TensorFlow
side loads with :func:`colorgan_utils.models.load_compact`.

Three steps::

    # here (TensorFlow): the split, the training split's colour prior, the photos, the wheels
    python research/gpu_jax.py prepare --data ../shared/data/stanford-dogs-small --work .gpu
    # there (JAX, GPU): throughput fp32 vs bf16, then the variants in equal wall time each
    KERAS_BACKEND=jax python research/gpu_jax.py run --work .gpu --out $OUT --seconds 90
    # here (TensorFlow): a run folder per variant, evaluated on the test split
    python research/gpu_jax.py import --npz DIR --work .gpu --out runs/gpu

Data as in :func:`colorgan_utils.data.make_dataset`: each photo resized (antialiased) so its
shorter side is ``load_size`` (train) or ``image_size`` (val), centre square, Lab in [-1, 1];
training batches are random ``image_size`` crops with random horizontal flips.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
import types
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

# the variants of research/ablation.py, on the colab preset's networks
VARIANTS = {
    "a_l1_gan": dict(objective="l1", warmup_epochs=2),
    "b_class": dict(objective="classify", adversarial_lambda=0.0, warmup_epochs=2),
    "c_class_gan": dict(objective="classify", warmup_epochs=0),
    "d_class_nogan": dict(objective="classify", warmup_epochs=1),
    # added after a-d had run on the GPU (same rule): a weaker L1 term, a stronger GAN pull
    "e_l1_30_gan": dict(objective="l1", warmup_epochs=2, l1_lambda=30.0),
    "f_l1_10_gan": dict(objective="l1", warmup_epochs=2, l1_lambda=10.0),
    # added in the third GPU session (same rule): training that settles instead of oscillating
    # (generator weights averaged, EMA 0.999, validated and kept; both learning rates cosine-
    # decayed to 0 over a fixed number of epochs), then two colour terms on top
    "g_l1_gan_ema": dict(objective="l1", warmup_epochs=2, ema=0.999, decay_epochs=140),
    "h_class_gan_ema": dict(objective="classify", warmup_epochs=0, ema=0.999, decay_epochs=140),
    "i_l1_gan_chroma": dict(objective="l1", warmup_epochs=2, ema=0.999, decay_epochs=140,
                            chroma_lambda=100.0),
    "j_class_l1_gan": dict(objective="classify", warmup_epochs=0, ema=0.999, decay_epochs=140,
                           class_l1_lambda=30.0),
    # after g-j (same rule): g's validation L1 was best near epoch 50 of 140, so a schedule that
    # ends sooner; and the accuracy g gained spent on colour: a weaker L1 pull, a light chroma match
    "k_l1_gan_ema70": dict(objective="l1", warmup_epochs=2, ema=0.999, decay_epochs=70),
    "l_l1_gan_chroma30": dict(objective="l1", warmup_epochs=2, ema=0.999, decay_epochs=70,
                              chroma_lambda=30.0),
    "m_l1_30_gan_ema70": dict(objective="l1", warmup_epochs=2, ema=0.999, decay_epochs=70,
                              l1_lambda=30.0),
    "n_l1_50_gan_ema70": dict(objective="l1", warmup_epochs=2, ema=0.999, decay_epochs=70,
                              l1_lambda=50.0),
    "o_l1_30_gan_ema": dict(objective="l1", warmup_epochs=2, ema=0.999, decay_epochs=140,
                            l1_lambda=30.0),
}
# trainer settings that are not Config fields (the TensorFlow trainer has no such knobs yet)
EXTRAS = {"ema": None, "decay_epochs": None, "chroma_lambda": 0.0, "class_l1_lambda": 0.0}


def split_variant(variant: dict) -> tuple[dict, dict]:
    """A variant's Config fields and its trainer extras (with their defaults)."""
    fields = {k: v for k, v in variant.items() if k not in EXTRAS}
    extras = {k: variant.get(k, d) for k, d in EXTRAS.items()}
    return fields, extras


# ----------------------------------------------------------------------------- prepare (TF)


def prepare(data: str, work: Path, preset: str) -> None:
    """Split and prior with our TensorFlow code; the photos copied beside them."""
    import shutil

    from colorgan_utils.config import get_config
    from colorgan_utils.data import find_images_root, load_splits
    from colorgan_utils.training import training_prior

    cfg = get_config(preset, data_dir=data)
    root = find_images_root(data)
    _, splits = load_splits(cfg, data)
    work.mkdir(parents=True, exist_ok=True)
    rel = {k: [str(Path(r.path).relative_to(root)) for r in v] for k, v in splits.items()}
    for name in rel["train"] + rel["val"]:  # the test photos stay here (and the carry small)
        (work / "Images" / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / name, work / "Images" / name)
    (work / "splits.json").write_text(json.dumps(rel))
    for name, variant in VARIANTS.items():
        if variant["objective"] == "classify":
            prior = training_prior(splits["train"], cfg.replace(**variant))
            import numpy as np

            np.savez(work / "ab_prior.npz", **prior)
            break
    print({k: len(v) for k, v in rel.items()}, "->", work)


# ----------------------------------------------------------------------------- run (JAX)


def _no_tensorflow() -> None:
    """``colorgan_utils.color`` is TensorFlow code (the Lab ops, which training here never
    calls); without TensorFlow, a stand-in module holds just its two scale constants, read
    from its source, so that ``ab_bins`` and ``models`` import."""
    import ast
    import importlib.util

    if importlib.util.find_spec("tensorflow") is not None:
        return
    tree = ast.parse((HERE.parent / "colorgan_utils" / "color.py").read_text())
    stand_in = types.ModuleType("colorgan_utils.color")
    for node in tree.body:
        if (isinstance(node, ast.Assign) and len(node.targets) == 1
                and getattr(node.targets[0], "id", "") in ("L_SCALE", "AB_SCALE")):
            setattr(stand_in, node.targets[0].id, ast.literal_eval(node.value))
    sys.modules["colorgan_utils.color"] = stand_in


def _load_squares(root: Path, files: list[str], side: int):
    import numpy as np
    from concurrent.futures import ThreadPoolExecutor
    from PIL import Image
    from skimage.color import rgb2lab

    def one(name: str):
        with Image.open(root / name) as im:
            im = im.convert("RGB")
            w, h = im.size
            s = side / min(w, h)
            nw, nh = max(side, round(w * s)), max(side, round(h * s))
            im = im.resize((nw, nh), Image.BILINEAR)
            left, top = (nw - side) // 2, (nh - side) // 2
            rgb = np.asarray(im.crop((left, top, left + side, top + side)), np.float32) / 255
        lab = rgb2lab(rgb)
        return np.concatenate([lab[..., :1] / 50.0 - 1.0, lab[..., 1:] / 110.0], -1)

    with ThreadPoolExecutor(os.cpu_count() or 4) as ex:
        return np.stack(list(ex.map(one, files))).astype(np.float16)


def _bce(logits, target: float):
    """Mean sigmoid cross-entropy against a constant label (``gan._bce``), stable form."""
    import jax.numpy as jnp

    x = logits.astype(jnp.float32)
    return jnp.mean(jnp.maximum(x, 0.0) - x * target + jnp.log1p(jnp.exp(-jnp.abs(x))))


class Trainer:
    """``ColorGAN.train_step`` in JAX for one configuration."""

    def __init__(self, cfg, prior: dict | None, policy: str = "mixed_bfloat16",
                 extras: dict | None = None, steps_per_epoch: int = 1) -> None:
        import jax
        import jax.numpy as jnp
        import keras
        import numpy as np

        from colorgan_utils import ab_bins, models

        keras.mixed_precision.set_global_policy(policy)
        keras.utils.set_random_seed(cfg.seed)
        self.cfg = cfg
        self.gen, self.disc = models.build_models(cfg)
        keras.mixed_precision.set_global_policy("float32")
        classify = cfg.objective == "classify"
        if classify:
            self.centres = jnp.asarray(self.gen.get_layer("annealed_mean").centres)
            self.weights = jnp.asarray(prior["weights"])
            self.net = keras.Model(self.gen.inputs, [self.gen.get_layer("ab_logits").output,
                                                     self.gen.output])
        else:
            self.net = self.gen
        extras = {**EXTRAS, **(extras or {})}
        self.extras = extras

        def lr():  # each optimizer its own schedule (cosine to 0 over the fixed epochs)
            if not extras["decay_epochs"]:
                return cfg.learning_rate
            return keras.optimizers.schedules.CosineDecay(
                cfg.learning_rate, extras["decay_epochs"] * steps_per_epoch)

        self.g_opt = keras.optimizers.Adam(lr(), beta_1=cfg.beta_1)
        self.d_opt = keras.optimizers.Adam(lr(), beta_1=cfg.beta_1)
        ema_decay = extras["ema"]
        self.g_opt.build(self.net.trainable_variables)
        self.d_opt.build(self.disc.trainable_variables)

        def class_loss(logits, ab):
            s = models.CLASS_STRIDE
            b, h, w, _ = ab.shape
            pooled = ab.reshape(b, h // s, s, w // s, s, 2).mean(axis=(2, 4))
            target, nearest = ab_bins.soft_encode(pooled, self.centres)
            ce = -jnp.sum(target * jax.nn.log_softmax(logits.astype(jnp.float32), -1), -1)
            return jnp.mean(self.weights[nearest] * ce)

        def losses(g_tv, d_tv, g_ntv, d_ntv, lum, ab, adv_w, training):
            out, g_ntv = self.net.stateless_call(g_tv, g_ntv, lum, training=training)
            if classify:
                logits, colorized = out
                g_ce = class_loss(logits, ab)
            else:
                colorized, g_ce = out, jnp.float32(0.0)
            both, d_ntv = self.disc.stateless_call(
                d_tv, d_ntv, [jnp.concatenate([lum, lum]),
                              jnp.concatenate([ab.astype(colorized.dtype), colorized])], training=training)
            real_l, colorized_l = jnp.split(both.astype(jnp.float32), 2)
            d_loss = 0.5 * (_bce(real_l, 1.0) + _bce(colorized_l, 0.0))
            g_adv = _bce(colorized_l, 1.0)
            g_l1 = jnp.mean(jnp.abs(ab.astype(jnp.float32) - colorized.astype(jnp.float32)))
            colour = cfg.ce_lambda * g_ce if classify else cfg.l1_lambda * g_l1
            if classify and extras["class_l1_lambda"]:
                colour = colour + extras["class_l1_lambda"] * g_l1

            def chroma(x):  # each photo's mean chroma
                x = x.astype(jnp.float32)
                return jnp.mean(jnp.sqrt(jnp.sum(x * x, -1) + 1e-6), axis=(1, 2))

            g_chroma = jnp.mean(jnp.abs(chroma(colorized) - chroma(ab)))
            if extras["chroma_lambda"]:
                colour = colour + extras["chroma_lambda"] * g_chroma
            g_loss = adv_w * cfg.adversarial_lambda * g_adv + colour
            logs = {"d_loss": d_loss, "g_adv_loss": g_adv, "g_l1": g_l1, "g_ce": g_ce,
                    "g_chroma": g_chroma,
                    "d_real_acc": jnp.mean(real_l > 0), "d_colorized_acc": jnp.mean(colorized_l <= 0)}
            return (g_loss, d_loss), (g_ntv, d_ntv, logs)

        def train_step(state, lum, ab, adv_w):
            g_tv, g_ntv, d_tv, d_ntv, g_ov, d_ov, ema = state
            fn = lambda g, d: losses(g, d, g_ntv, d_ntv, lum, ab, adv_w, True)  # noqa: E731
            (g_loss, d_loss), vjp, (g_ntv, d_ntv, logs) = jax.vjp(fn, g_tv, d_tv, has_aux=True)
            g_grad, _ = vjp((jnp.ones_like(g_loss), jnp.zeros_like(d_loss)))
            _, d_grad = vjp((jnp.zeros_like(g_loss), jnp.ones_like(d_loss)))
            g_tv, g_ov = self.g_opt.stateless_apply(g_ov, g_grad, g_tv)
            d_tv, d_ov = self.d_opt.stateless_apply(d_ov, d_grad, d_tv)
            if ema_decay:
                ema = jax.tree.map(lambda e, v: ema_decay * e + (1.0 - ema_decay) * v, ema, g_tv)
            return (g_tv, g_ntv, d_tv, d_ntv, g_ov, d_ov, ema), logs

        def test_step(state, lum, ab):
            g_tv, g_ntv, d_tv, d_ntv, _, _, ema = state
            if ema_decay:  # the averaged generator is the one validated (and kept)
                g_tv = ema
            return losses(g_tv, d_tv, g_ntv, d_ntv, lum, ab, 0.0, False)[1][2]

        def crop_flip(batch, key):
            size = cfg.image_size
            b, s = batch.shape[0], batch.shape[1]
            k1, k2 = jax.random.split(key)
            offs = jax.random.randint(k1, (b, 2), 0, s - size + 1)
            flip = jax.random.uniform(k2, (b,)) < 0.5

            def one(img, off, fl):
                img = jax.lax.dynamic_slice(img, (off[0], off[1], 0), (size, size, 3))
                return jnp.where(fl, img[:, ::-1], img)

            out = jax.vmap(one)(batch, offs, flip).astype(jnp.float32)
            return out[..., :1], out[..., 1:]

        def train_batch(state, data, idx, key, adv_w):
            lum, ab = crop_flip(data[idx], key)
            return train_step(state, lum, ab, adv_w)

        self.train_batch = jax.jit(train_batch, donate_argnums=0)
        self.test_step = jax.jit(test_step)
        self.state = ([v.value for v in self.net.trainable_variables],
                      [v.value for v in self.net.non_trainable_variables],
                      [v.value for v in self.disc.trainable_variables],
                      [v.value for v in self.disc.non_trainable_variables],
                      [v.value for v in self.g_opt.variables],
                      [v.value for v in self.d_opt.variables],
                      [jnp.array(v.value) for v in self.net.trainable_variables])
        self.np = np

    def write_back(self, state=None) -> None:
        """Copy a state into the Keras models (the generator's and discriminator's weights;
        the averaged generator where the variant averages)."""
        g_tv, g_ntv, d_tv, d_ntv, _, _, ema = state or self.state
        if self.extras["ema"]:
            g_tv = ema
        for var, val in zip(self.net.trainable_variables, g_tv):
            var.assign(val)
        for var, val in zip(self.net.non_trainable_variables, g_ntv):
            var.assign(val)
        for var, val in zip(self.disc.trainable_variables, d_tv):
            var.assign(val)
        for var, val in zip(self.disc.non_trainable_variables, d_ntv):
            var.assign(val)


def throughput(cfg, data, policies: list[str], steps: int = 30) -> dict[str, float]:
    """Training img/s of the L1 objective under each precision policy, same batches."""
    import jax
    import jax.numpy as jnp

    out = {}
    n = data.shape[0]
    for policy in policies:
        keras_policy = "float32" if policy.startswith("float32") else policy
        with (jax.default_matmul_precision("highest") if policy == "float32-highest"
              else contextlib.nullcontext()):
            t = Trainer(cfg, None, keras_policy)
            key = jax.random.PRNGKey(0)
            idx = jnp.arange(cfg.batch_size)
            state = t.state
            t0 = time.perf_counter()
            state, logs = t.train_batch(state, data, idx, key, 1.0)
            jax.block_until_ready(logs)
            compile_s = time.perf_counter() - t0
            for i in range(3):
                state, logs = t.train_batch(state, data, (idx + i * 64) % n, key, 1.0)
            jax.block_until_ready(logs)
            t0 = time.perf_counter()
            for i in range(steps):
                state, logs = t.train_batch(state, data, (idx + i * 64) % n,
                                            jax.random.fold_in(key, i), 1.0)
            jax.block_until_ready(logs)
            dt = time.perf_counter() - t0
        out[policy] = round(steps * cfg.batch_size / dt, 1)
        print(f"  {policy:16s} {out[policy]:9.1f} img/s (first step with compile "
              f"{compile_s:.1f} s)", flush=True)
    return out


def train_variant(name: str, cfg, prior, train, val, seconds: float, out: Path,
                  extras: dict | None = None) -> dict:
    """Epochs until ``seconds`` pass; keep the generator of the best validation epoch."""
    import jax
    import jax.numpy as jnp
    import numpy as np

    from colorgan_utils import models

    extras = {**EXTRAS, **(extras or {})}
    n, bs = train.shape[0], cfg.batch_size
    steps = n // bs
    t = Trainer(cfg, prior, "mixed_bfloat16", extras, steps)
    monitor = "g_ce" if cfg.objective == "classify" else "g_l1"
    max_epochs = extras.get("decay_epochs") or None
    key = jax.random.PRNGKey(cfg.seed)
    history, best, best_state, best_is_warmup = [], np.inf, None, True
    t_start = time.perf_counter()
    train_time, images = 0.0, 0
    epoch = 0
    while time.perf_counter() - t_start < seconds and (max_epochs is None or epoch < max_epochs):
        adv_w = 0.0 if epoch < cfg.warmup_epochs else 1.0
        key, k_perm = jax.random.split(key)
        perm = jax.random.permutation(k_perm, n)
        t0 = time.perf_counter()
        sums = None
        for s in range(steps):
            key, k = jax.random.split(key)
            t.state, logs = t.train_batch(t.state, train, perm[s * bs:(s + 1) * bs], k, adv_w)
            sums = logs if sums is None else jax.tree.map(jnp.add, sums, logs)
        jax.block_until_ready(sums)
        dt = time.perf_counter() - t0
        if epoch > 0:  # epoch 1 includes the compile
            train_time += dt
            images += steps * bs
        row = {"epoch": epoch + 1, "seconds": round(dt, 2),
               **{k: float(v) / steps for k, v in sums.items()}}
        vsum, vn = None, 0
        for i in range(0, val.shape[0] - bs + 1, bs):
            chunk = jnp.asarray(val[i:i + bs], jnp.float32)
            logs = t.test_step(t.state, chunk[..., :1], chunk[..., 1:])
            vsum = logs if vsum is None else jax.tree.map(jnp.add, vsum, logs)
            vn += 1
        row.update({f"val_{k}": float(v) / vn for k, v in vsum.items()})
        history.append(row)
        # GeneratorCheckpoint's rule: the best epoch after the warm-up (a warm-up epoch only
        # while no adversarial epoch exists). Runs before 2026-11-27 17:35 (variants e, f) let
        # warm-up epochs compete: f's "best" is its L1-only epoch 2 (README says so).
        adversarial = epoch + 1 > cfg.warmup_epochs
        if (adversarial and best_is_warmup) or row[f"val_{monitor}"] < best:
            best_is_warmup = not adversarial
            best = row[f"val_{monitor}"]
            best_state = (tuple(jax.tree.map(np.asarray, t.state[:4])) + (None, None)
                          + (jax.tree.map(np.asarray, t.state[6]),))
            row["best"] = True
        print(f"  {name} epoch {epoch + 1}: {dt:.1f} s, val_g_l1 {row['val_g_l1']:.4f} "
              f"val_{monitor} {row[f'val_{monitor}']:.4f} d_real {row['d_real_acc']:.2f} "
              f"d_colorized {row['d_colorized_acc']:.2f}{' *' if row.get('best') else ''}", flush=True)
        epoch += 1
    t.write_back(best_state)
    path = out / f"gpu_{name}.npz"
    models.save_compact(t.gen, path)
    with np.load(path) as f:
        packed = dict(f)
    packed.update({f"d{i:03d}": w.astype(np.float16)
                   for i, w in enumerate(t.disc.get_weights())})
    np.savez_compressed(path, **packed)
    best_epoch = next(r["epoch"] for r in history if r.get("best") and r[f"val_{monitor}"] == best)
    return {"epochs": epoch, "best_epoch": best_epoch, "wall_s": round(time.perf_counter()
                                                                        - t_start, 1),
            "train_img_s": round(images / train_time, 1) if train_time else None,
            "history": history, "config": cfg.to_dict(),
            "extras": {k: v for k, v in (extras or {}).items() if v}}


def run(work: Path, out: Path, seconds: float, preset: str, variants: list[str],
        smoke: bool, widths: tuple[int, int] = (32, 24), skip_throughput: bool = False) -> None:
    _no_tensorflow()
    import jax
    import numpy as np

    from colorgan_utils.config import get_config

    # pix2pix's loss as the base (the presets now carry the chosen variant): each variant
    # states its changes; averaging and the schedule are this trainer's extras
    cfg = get_config(preset).replace(l1_lambda=100.0, ema_momentum=0.0, lr_schedule="constant")
    if smoke:
        cfg = cfg.replace(image_size=32, batch_size=8, generator_width=8, discriminator_width=8)
        widths = (8, 8)
    print("devices:", jax.devices(), flush=True)
    splits = json.loads((work / "splits.json").read_text())
    if smoke:
        splits = {k: v[:24] for k, v in splits.items()}
    t0 = time.perf_counter()
    train = jax.device_put(_load_squares(work / "Images", splits["train"], cfg.load_size))
    val = _load_squares(work / "Images", splits["val"], cfg.image_size)
    print(f"{train.shape[0]} train / {val.shape[0]} val photos loaded in "
          f"{time.perf_counter() - t0:.1f} s", flush=True)
    with np.load(work / "ab_prior.npz") as f:
        prior = {k: f[k] for k in f.files}
    result = {"device": str(jax.devices()[0]), "jax": jax.__version__, "preset": preset,
              "seconds_per_variant": seconds}
    if not skip_throughput:
        print("throughput (L1 + GAN step, XLA via jax.jit):", flush=True)
        result["throughput_img_s"] = throughput(
            cfg, train, ["float32-highest", "float32", "mixed_bfloat16"], 5 if smoke else 30)
    (out / "gpu_results.json").write_text(json.dumps(result, indent=1))
    result["variants"] = {}
    for name in variants:
        # the shipped generator's size (the cpu preset's networks: <= 10 MB as float16)
        fields, extras = split_variant(VARIANTS[name])
        vcfg = cfg.replace(generator_width=widths[0], discriminator_width=widths[1], **fields)
        print(f"{name}: {VARIANTS[name]}", flush=True)
        result["variants"][name] = train_variant(name, vcfg, prior, train, val, seconds, out,
                                                 extras)
        (out / "gpu_results.json").write_text(json.dumps(result, indent=1))


# ----------------------------------------------------------------------------- import (TF)


def import_runs(npz_dir: Path, work: Path, out: Path) -> None:
    """A run folder per trained variant (generator_best.keras, discriminator_best.keras,
    config.json, history.csv), so ``evaluate`` and the ablation evaluation read it."""
    import csv

    import numpy as np

    from colorgan_utils import models, runs
    from colorgan_utils.config import Config

    result = json.loads((npz_dir / "gpu_results.json").read_text())
    for name, info in result.get("variants", {}).items():
        extras = info.get("extras", {})
        cfg = Config(**{k: v for k, v in info["config"].items() if k in Config.__dataclass_fields__})
        # the extras as the TensorFlow trainer's settings, so config.json says how it trained
        cfg = cfg.replace(ema_momentum=float(extras.get("ema") or 0.0),
                          lr_schedule="cosine" if extras.get("decay_epochs") else "constant",
                          chroma_lambda=float(extras.get("chroma_lambda") or 0.0))
        run_dir = out / name
        run_dir.mkdir(parents=True, exist_ok=True)
        npz = npz_dir / f"gpu_{name}.npz"
        gen = models.load_compact(npz)
        _, disc = models.build_models(cfg)
        with np.load(npz) as f:
            disc.set_weights([f[k].astype(np.float32) for k in sorted(f.files)
                              if k.startswith("d")])
        gen.save(runs.model_file(run_dir, "generator", "best"))
        disc.save(runs.model_file(run_dir, "discriminator", "best"))
        runs.write_json(run_dir / runs.CONFIG, cfg.to_dict())
        steps = len(json.loads((work / "splits.json").read_text())["train"]) // cfg.batch_size
        rows = [{**r, "epoch_seconds": r["seconds"],
                 "images_per_s": steps * cfg.batch_size / r["seconds"]} for r in info["history"]]
        keys = [k for k in rows[0] if k not in ("best", "seconds")]
        with open(run_dir / runs.HISTORY, "w", newline="") as f:
            w = csv.DictWriter(f, keys, extrasaction="ignore")
            w.writeheader()
            w.writerows(rows)
        runs.write_json(run_dir / runs.STATE, {"epochs_done": info["epochs"],
                                               "epochs": info["epochs"], "finished": True})
        if (work / "ab_prior.npz").exists() and cfg.objective == "classify":
            import shutil

            shutil.copy(work / "ab_prior.npz", run_dir / runs.PRIOR)
        print(f"{name}: {info['epochs']} epochs (best {info['best_epoch']}) -> {run_dir}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("prepare")
    p.add_argument("--data", required=True)
    p.add_argument("--work", default=".gpu")
    p.add_argument("--preset", default="colab")
    r = sub.add_parser("run")
    r.add_argument("--work", default=".gpu")
    r.add_argument("--out", required=True)
    r.add_argument("--seconds", type=float, default=90.0, help="training time per variant")
    r.add_argument("--preset", default="colab")
    r.add_argument("--variants", nargs="*", default=list(VARIANTS))
    r.add_argument("--smoke", action="store_true", help="32 px, 24 photos: checks the code")
    r.add_argument("--no-throughput", action="store_true", help="train the variants only")
    r.add_argument("--widths", type=int, nargs=2, default=(32, 24),
                   help="generator and discriminator width of the variants (throughput: the "
                        "preset's own)")
    i = sub.add_parser("import")
    i.add_argument("--npz", required=True)
    i.add_argument("--work", default=".gpu")
    i.add_argument("--out", default="runs/gpu")
    args = parser.parse_args()
    if args.cmd == "prepare":
        prepare(args.data, Path(args.work), args.preset)
    elif args.cmd == "run":
        os.environ.setdefault("KERAS_BACKEND", "jax")
        Path(args.out).mkdir(parents=True, exist_ok=True)
        run(Path(args.work), Path(args.out), args.seconds, args.preset, args.variants,
            args.smoke, tuple(args.widths), args.no_throughput)
    else:
        import_runs(Path(args.npz), Path(args.work), Path(args.out))


if __name__ == "__main__":
    main()
