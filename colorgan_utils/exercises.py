"""The course's exercises: checks that judge the code a student writes, and the gate that keeps
the answers hidden on "Run all".

Taught in notebooks 02-05 (each has an exercise in which you write a piece of the GAN). A
``check_...`` function runs your code and the package's on the same fixed inputs; it prints
what is off ("your d_loss treats colorized as real") and returns False, or prints that it
matches and returns True. It never raises for a wrong answer, so "Run all" goes on past an
exercise you have not done yet.

Solution cells start with ``# @title Solution``. Once :func:`gate_solutions` is installed (the
notebooks' setup does it), such a cell does not run unless the solutions are shown:
:func:`show_solutions` in the notebook, or ``COLORGAN_SOLUTIONS=1`` in the environment (the
test suite sets it, so CI runs every solution and every check).
"""

from __future__ import annotations

import os
from typing import Any, Callable

import numpy as np

SOLUTIONS_ENV = "COLORGAN_SOLUTIONS"
SOLUTION_MARK = "# @title Solution"
_shown = False


def show_solutions(on: bool = True) -> None:
    """Let the solution cells run (run this once you have tried; then run a solution cell)."""
    global _shown
    _shown = bool(on)
    print("solution cells now run when you run them" if on
          else "solution cells are skipped again")


def solutions_shown() -> bool:
    """Whether solution cells run: :func:`show_solutions`, or ``COLORGAN_SOLUTIONS=1``."""
    return _shown or os.environ.get(SOLUTIONS_ENV, "").strip().lower() in ("1", "true", "yes")


HIDDEN = ("print('Solution not run: answers stay hidden on \"Run all\". Tried the exercise? Run "
          "show_solutions() (from colorgan_utils.exercises), then this cell again.')\n")


def _gate(lines: list[str]) -> list[str]:
    """IPython input transformer: a solution cell becomes one line saying how to run it."""
    first = next((ln for ln in lines if ln.strip()), "")
    if first.lstrip().startswith(SOLUTION_MARK) and not solutions_shown():
        return [HIDDEN]
    return lines


def gate_solutions(shell: Any = None) -> bool:
    """Install the gate in this IPython kernel (once); False outside IPython."""
    if shell is None:
        try:
            from IPython import get_ipython
        except ImportError:
            return False
        shell = get_ipython()
    if shell is None:
        return False
    if _gate not in shell.input_transformers_cleanup:
        shell.input_transformers_cleanup.append(_gate)
    return True


def _report(ok: bool, what: str, hint: str = "") -> bool:
    print(f"✓ {what}: matches the package on the check's inputs" if ok
          else f"✗ {what}: {hint}")
    return ok


def _call(fn: Callable, *args: Any) -> tuple[Any, str]:
    try:
        return fn(*args), ""
    except NotImplementedError:
        return None, "not written yet (it raises NotImplementedError)"
    except Exception as exc:  # noqa: BLE001  (a student's code may raise anything)
        return None, f"it raised {type(exc).__name__}: {exc}"


def _number(value: Any) -> float | None:
    try:
        return float(np.asarray(value))
    except (TypeError, ValueError):
        return None


def _judge(what: str, fn: Callable, args: tuple, right: Callable[[], float],
           wrong: Callable[[], dict[str, float]], otherwise: str, rtol: float = 1e-4) -> bool:
    """Run a student's function that returns one number; True when it is ``right()``, else
    the hint of the first typical mistake whose value it gave (``wrong()``: hint -> value), or
    ``otherwise`` (``{value}`` and ``{right}`` filled in)."""
    got, why = _call(fn, *args)
    if why:
        return _report(False, what, why)
    value = _number(got)
    if value is None:
        return _report(False, what, f"it returned {type(got).__name__}, not one number")
    want = right()
    if np.isclose(value, want, rtol=rtol):
        return _report(True, what)
    for hint, v in wrong().items():
        if np.isclose(value, v, rtol=rtol):
            return _report(False, what, hint)
    return _report(False, what, otherwise.format(value=value, right=want))


# ------------------------------------------------------------------ notebook 02


def check_up_block(up_block: Callable) -> bool:
    """Notebook 02: ``up_block(x, skip, filters, name)``, the decoder step with its skip,
    against :func:`colorgan_utils.models.up_block` (same weights, inference mode)."""
    import keras

    from colorgan_utils import models

    what = "up_block"
    x_in, skip_in = keras.Input((4, 4, 8)), keras.Input((8, 8, 6))
    ref = keras.Model([x_in, skip_in], models.up_block(x_in, skip_in, 5, "ref"))
    mine, why = _call(lambda: keras.Model([x_in, skip_in], up_block(x_in, skip_in, 5, "mine")))
    if why:
        return _report(False, what, why)
    rng = np.random.default_rng(0)
    x, skip = rng.normal(size=(2, 4, 4, 8)), rng.normal(size=(2, 8, 8, 6))
    shape = tuple(mine.output_shape[1:])
    if shape[:2] != (8, 8):
        return _report(False, what, f"its output is {shape[0]}x{shape[1]}, not twice the input's "
                       "4x4: a 4x4 Conv2DTranspose with strides=2, padding='same'")
    if shape[2] == 5:
        return _report(False, what, "the skip is missing: concatenate the encoder's map of the "
                       "same size after the ReLU (layers.Concatenate()([x, skip]))")
    if shape[2] != 11:
        return _report(False, what, f"{shape[2]} channels out, want filters + the skip's (5 + 6)")
    theirs = [w.shape for w in mine.get_weights()]
    if theirs != [w.shape for w in ref.get_weights()]:
        return _report(False, what, f"its weights are {theirs}; the package's block is a 4x4 "
                       "transposed convolution without bias, then BatchNormalization")
    mine.set_weights([rng.normal(size=w.shape) * 0.3 + (1.0 if i == 4 else 0.0)
                      for i, w in enumerate(ref.get_weights())])  # moving variance > 0
    ref.set_weights(mine.get_weights())
    got = np.asarray(mine([x, skip], training=False))
    want = np.asarray(ref([x, skip], training=False))
    if np.allclose(got[..., :6], skip, atol=1e-5):  # [skip, upsampled]
        return _report(False, what, "the skip comes first: concatenate [upsampled, skip], in "
                       "that order, as the package does")
    if not np.allclose(got[..., 5:], skip, atol=1e-5):
        return _report(False, what, "the last 6 channels are not the skip as it came in: "
                       "concatenate it unchanged")
    if (got[..., :5] < 0).any():
        return _report(False, what, "the upsampled maps have negative values: end them with "
                       "a ReLU, before the skip")
    return _report(bool(np.allclose(got, want, atol=1e-4)), what,
                   "the upsampled maps differ from the package's: transposed convolution, "
                   "BatchNormalization, (dropout), ReLU, in that order")


# ------------------------------------------------------------------ notebook 03


def _logits(seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.normal(m, 1.0, (4, 3, 3, 1)).astype(np.float32) for m in (1.0, -1.0, 0.5)]


def check_d_loss(d_loss: Callable) -> bool:
    """Notebook 03: ``d_loss(real_logits, colorized_logits, mismatch_logits, w)``, the
    discriminator's loss with mismatched pairs weighted ``w`` among the fakes, against
    :mod:`colorgan_utils.gan`'s (binary cross-entropy on logits)."""
    from colorgan_utils import gan

    what = "d_loss"
    real, colorized, mismatch = _logits(1)

    def want(r, c, m, w):
        fake = (1 - w) * gan.fake_loss(c) + w * gan.fake_loss(m)
        return float(0.5 * (gan.real_loss(r) + fake))

    right = want(real, colorized, mismatch, 0.25)
    return _judge(what, d_loss, (real, colorized, mismatch, 0.25), lambda: right, lambda: {
        "it treats colorized as real and real as colorized (swap the labels)":
            float(0.5 * (gan.fake_loss(real) + 0.75 * gan.real_loss(colorized)
                         + 0.25 * gan.real_loss(mismatch))),
        "it treats colorized as real (the colorized patches' target is 0)":
            float(0.5 * (gan.real_loss(real) + 0.75 * gan.real_loss(colorized)
                         + 0.25 * gan.fake_loss(mismatch))),
        "the mismatched pairs are missing (weight w among the fakes)":
            float(0.5 * (gan.real_loss(real) + gan.fake_loss(colorized))),
        "the mismatched pairs count as real; they are fakes (target 0)":
            float(0.5 * (gan.real_loss(real) + 0.75 * gan.fake_loss(colorized)
                         + 0.25 * gan.real_loss(mismatch))),
        "it is twice the package's: average the real and the fake halves (x 0.5)": 2 * right,
        "the fakes are not weighted: (1 - w) x colorized + w x mismatched":
            float(0.5 * (gan.real_loss(real) + gan.fake_loss(colorized)
                         + gan.fake_loss(mismatch))),
    }, "{value:.4f} where the package gives {right:.4f}: the binary cross-entropy on logits, "
       "real patches to 1, colorized and mismatched to 0")


# ------------------------------------------------------------------ notebook 04


def check_g_loss(g_loss: Callable) -> bool:
    """Notebook 04: ``g_loss(colorized_logits, ab, colorized_ab, l1_lambda)``, the generator's
    loss (the GAN term plus ``l1_lambda`` x the L1 on ab), against the package's."""
    from colorgan_utils import gan

    what = "g_loss"
    _, colorized, _ = _logits(2)
    rng = np.random.default_rng(3)
    ab = rng.uniform(-0.5, 0.5, (4, 6, 6, 2)).astype(np.float32)
    out = rng.uniform(-0.5, 0.5, (4, 6, 6, 2)).astype(np.float32)
    adv = float(gan.generator_adversarial_loss(colorized))
    l1 = float(np.abs(ab - out).mean())
    return _judge(what, g_loss, (colorized, ab, out, 100.0), lambda: adv + 100.0 * l1, lambda: {
        "it rewards being called colorized: the generator wants its patches called real "
        "(target 1)": float(gan.fake_loss(colorized)) + 100.0 * l1,
        "the colour term is missing (+ l1_lambda x mean |ab - colorized_ab|)": adv,
        "the GAN term is missing": 100.0 * l1,
        "the colour term is not weighted by l1_lambda": adv + l1,
        "that is a squared error; the colour term is the L1, mean |ab - colorized_ab|":
            adv + 100.0 * float(np.square(ab - out).mean()),
    }, "{value:.4f} where the package gives {right:.4f}")


def reference_step(generator: Any, discriminator: Any, g_opt: Any, d_opt: Any, l_norm: Any,
                   ab: Any, l1_lambda: float = 100.0) -> None:
    """One plain two-tape GAN step (what ``ColorGAN.train_step`` does without its extras:
    mismatched pairs, loss scaling, the encoder's own optimizer): the check's reference."""
    import tensorflow as tf

    from colorgan_utils import gan

    with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
        colorized = generator(l_norm, training=True)
        real_logits = discriminator([l_norm, ab], training=True)
        colorized_logits = discriminator([l_norm, colorized], training=True)
        d = 0.5 * (gan.real_loss(real_logits) + gan.fake_loss(colorized_logits))
        g = gan.generator_adversarial_loss(colorized_logits) + l1_lambda * tf.reduce_mean(
            tf.abs(ab - colorized))
    g_vars, d_vars = generator.trainable_variables, discriminator.trainable_variables
    g_opt.apply_gradients(zip(g_tape.gradient(g, g_vars), g_vars))
    d_opt.apply_gradients(zip(d_tape.gradient(d, d_vars), d_vars))


def check_train_step(train_step: Callable) -> bool:
    """Notebook 04: ``train_step(generator, discriminator, g_opt, d_opt, l_norm, ab)``, one
    GAN step with two tapes, against :func:`reference_step` from the same weights (tiny
    networks, SGD): the generator and the discriminator must move as the reference's do."""
    import keras
    import tensorflow as tf

    from colorgan_utils.models import build_discriminator, build_generator

    what = "train_step"
    rng = np.random.default_rng(4)
    l_norm = tf.constant(rng.uniform(-1, 1, (2, 16, 16, 1)), tf.float32)
    ab = tf.constant(rng.uniform(-0.4, 0.4, (2, 16, 16, 2)), tf.float32)

    def pair():
        keras.utils.set_random_seed(0)
        return (build_generator(16, width=4, depth=2),
                build_discriminator(16, width=4, n_down=1, norm="instance"))

    g0, d0 = pair()
    start_g, start_d = g0.get_weights(), d0.get_weights()
    ref_g, ref_d = pair()
    reference_step(ref_g, ref_d, keras.optimizers.SGD(0.1), keras.optimizers.SGD(0.1),
                   l_norm, ab)
    _, why = _call(train_step, g0, d0, keras.optimizers.SGD(0.1), keras.optimizers.SGD(0.1),
                   l_norm, ab)
    if why:
        return _report(False, what, why)

    def moved(now, start):
        return any(not np.allclose(a, b) for a, b in zip(now, start))

    def same(a, b):
        return all(np.allclose(x, y, atol=1e-5) for x, y in zip(a.get_weights(), b.get_weights()))

    if not moved(g0.get_weights(), start_g):
        return _report(False, what, "the generator never moved: apply the generator tape's "
                       "gradients with g_opt")
    if not moved(d0.get_weights(), start_d):
        return _report(False, what, "the discriminator never moved: apply the discriminator "
                       "tape's gradients with d_opt")
    g_ok, d_ok = same(g0, ref_g), same(d0, ref_d)
    if g_ok and d_ok:
        return _report(True, what)
    if not d_ok and g_ok:
        return _report(False, what, "the generator moved right, the discriminator did not: "
                       "d_loss = 0.5 x (real to 1 + colorized to 0), its own tape, its own "
                       "optimizer")
    if not g_ok and d_ok:
        return _report(False, what, "the discriminator moved right, the generator did not: "
                       "g_loss = GAN term (colorized called real) + l1_lambda x L1, from the "
                       "generator's tape")
    return _report(False, what, "neither network moved as the reference's: each loss from its "
                   "own tape, each optimizer on its own network's variables")


# ------------------------------------------------------------------ notebook 05


def check_auc(auc: Callable) -> bool:
    """Notebook 05: ``auc(real_scores, colorized_scores)``, the share of (real, colorized)
    pairs ordered right, ties counting half, against :func:`colorgan_utils.forensics.auc`."""
    from colorgan_utils import forensics

    what = "auc"
    real, colorized = [0.9, 0.4, 0.6, 0.6], [0.6, 0.1, 0.3]
    right = forensics.auc(real, colorized)
    pairs = len(real) * len(colorized)
    above = sum(r > c for r in real for c in colorized)
    ties = sum(r == c for r in real for c in colorized)
    return _judge(what, auc, (list(real), list(colorized)), lambda: right, lambda: {
        "ties count half a right order (a pair scored the same is a coin toss)": above / pairs,
        "ties count as right: they count half": (above + ties) / pairs,
        "it counts pairs where the colorized photo scores higher: real should score higher":
            1 - right,
        "divide by the number of pairs, len(real) x len(colorized)": above + 0.5 * ties,
    }, "{value:.4f} where the package gives {right:.4f} (the share of real/colorized pairs in "
       "which the real photo scores higher)", rtol=1e-9)
