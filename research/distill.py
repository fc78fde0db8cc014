"""Distil an ensemble of generators into one: the ensemble's colour at one network's cost.

Runs at commit 9065a28 (``git checkout 9065a28 -- colorgan_utils research``): the objectives it
trains have since left the package's settings (research/README.md).

Not a test. Averaging the ab of several L1 + GAN generators of the GPU ablation (variance
reduction) brings the colorizations much closer to the true colours than any one of them, and a
chroma gain on that average buys colourfulness back (``research/chroma_sweep.py --ensemble``,
validation split). Running 7 networks per photo would make ``colorize`` ~5x slower, so this
script trains *one* generator of the shipped shape to reproduce ``clip(gain * mean(teachers))``
(L1 on ab) on the training split's random crops and flips, starting from ``--init``'s weights.

Resumable: every epoch writes ``<out>/generator_last.npz`` and ``<out>/state.json``; run the same
command again to go on (from the saved float16 weights; Adam's moments start again, the
schedule goes on where it was). ``--init`` may be a run folder or a generator file, e.g. an
earlier distilled one, to move it to another gain. The result is ``<out>/generator.npz`` (the
last epoch; the schedule decays to 0), which
``python -m colorgan_utils evaluate --run <out>/generator.npz`` evaluates.

    python research/distill.py --data ../shared/data/stanford-dogs-small \\
        --init runs/gpu_runs/k_l1_gan_ema70 --teachers runs/gpu_runs/k_l1_gan_ema70 ... \\
        --gain 1.5 --epochs 6 --out runs/distill/p
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--teachers", nargs="+", required=True, help="generators' run folders")
    parser.add_argument("--init", required=True, help="the student's starting weights (a run)")
    parser.add_argument("--gain", type=float, default=1.0, help="chroma gain on the average")
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=1e-4, help="Adam, cosine-decayed to 0")
    parser.add_argument("--steps-per-epoch", type=int, default=None, help="fewer, for a check")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    import keras
    import numpy as np
    import tensorflow as tf

    from colorgan_utils.config import get_config
    from colorgan_utils.data import load_splits, make_dataset, steps_for
    from colorgan_utils.models import load_compact, save_compact
    from colorgan_utils.runs import load_run, run_config

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    state_file = out / "state.json"
    settings = {k: v for k, v in vars(args).items() if k not in ("out",)}
    state = json.loads(state_file.read_text()) if state_file.is_file() else None
    if state and state["settings"] != settings:
        sys.exit(f"{out} was started with other settings ({state['settings']}); "
                 "use another --out")
    done = state["epochs_done"] if state else 0
    if done >= args.epochs:
        print(f"{out}: already finished {done} epochs; nothing to do")
        return

    # the init run's settings (image size, split fractions): the splits are the ones it trained on
    cfg = run_config(args.init, get_config("cpu")).replace(batch_size=args.batch_size)
    _, splits = load_splits(cfg, args.data)
    teachers = [load_run(t, verbose=False)[0] for t in args.teachers]
    student = (load_compact(out / "generator_last.npz") if done
               else load_run(args.init, verbose=False)[0])
    steps = args.steps_per_epoch or steps_for(len(splits["train"]), cfg.batch_size, True)
    schedule = keras.optimizers.schedules.CosineDecay(args.lr, args.epochs * steps)
    opt = keras.optimizers.Adam(learning_rate=schedule)  # Keras steps the schedule itself
    opt.build(student.trainable_variables)
    opt.iterations.assign(done * steps)

    @tf.function
    def target(lum):
        mean = tf.add_n([tf.cast(t(lum, training=False), tf.float32) for t in teachers])
        return tf.clip_by_value(mean / len(teachers) * args.gain, -1.0, 1.0)

    @tf.function
    def step(lum):
        want = target(lum)
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.abs(student(lum, training=True) - want))
        grads = tape.gradient(loss, student.trainable_variables)
        opt.apply_gradients(zip(grads, student.trainable_variables))
        return loss

    @tf.function
    def val_loss(lum, ab):
        pred = student(lum, training=False)
        return (tf.reduce_mean(tf.abs(pred - target(lum))), tf.reduce_mean(tf.abs(pred - ab)))

    train = make_dataset(splits["train"], cfg, training=True, repeat=True)
    val = make_dataset(splits["val"], cfg, training=False)
    batches = iter(train)
    print(f"{len(teachers)} teachers, gain {args.gain}; {len(splits['train'])} training photos, "
          f"{steps} steps of {cfg.batch_size} per epoch; from epoch {done + 1} of {args.epochs}")
    for epoch in range(done, args.epochs):
        bar = keras.utils.Progbar(steps, stateful_metrics=["loss"])
        start = time.time()
        for i in range(steps):
            lum, _ = next(batches)
            bar.update(i + 1, [("loss", float(step(lum)))])
        seconds = time.time() - start
        tmp = out / "generator_last.tmp.npz"  # before validating
        save_compact(student, tmp)
        tmp.replace(out / "generator_last.npz")
        vals = np.array([[float(x) for x in val_loss(lum, ab)] for lum, ab in val])
        print(f"epoch {epoch + 1}: {seconds:.0f} s ({steps * cfg.batch_size / seconds:.1f} "
              f"img/s); validation L1 to the teachers {vals[:, 0].mean():.4f}, "
              f"to the true ab {vals[:, 1].mean():.4f}", flush=True)
        history = (state or {}).get("history", []) + [
            {"epoch": epoch + 1, "seconds": round(seconds, 1),
             "val_l1_teachers": float(vals[:, 0].mean()), "val_l1_ab": float(vals[:, 1].mean())}]
        state = {"settings": settings, "epochs_done": epoch + 1, "history": history}
        state_file.write_text(json.dumps(state, indent=2))
    save_compact(student, out / "generator.npz")
    print(f"wrote {out / 'generator.npz'}")
    assert math.isfinite(state["history"][-1]["val_l1_ab"])


if __name__ == "__main__":
    main()
