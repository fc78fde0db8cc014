"""The exercises' checks (notebooks 02-05): each passes the package's own answer, and each
names what is off in a typical wrong one; the gate keeps solution cells from running on
"Run all" unless the solutions are shown."""

import numpy as np
import pytest
import tensorflow as tf
from keras import layers

from colorgan_utils import exercises, forensics, gan, models


def test_up_block_check(capsys):
    assert exercises.check_up_block(models.up_block)

    def no_skip(x, skip, filters, name):
        x = layers.Conv2DTranspose(filters, 4, strides=2, padding="same", use_bias=False)(x)
        return layers.ReLU()(layers.BatchNormalization()(x))

    def skip_first(x, skip, filters, name):
        x = layers.Conv2DTranspose(filters, 4, strides=2, padding="same", use_bias=False)(x)
        return layers.Concatenate()([skip, layers.ReLU()(layers.BatchNormalization()(x))])

    def no_relu(x, skip, filters, name):
        x = layers.Conv2DTranspose(filters, 4, strides=2, padding="same", use_bias=False)(x)
        return layers.Concatenate()([layers.BatchNormalization()(x), skip])

    def not_up(x, skip, filters, name):
        return layers.Concatenate()([layers.Conv2D(filters, 3, padding="same")(x), x])

    def todo(x, skip, filters, name):
        raise NotImplementedError

    capsys.readouterr()
    for fn, hint in ((no_skip, "the skip is missing"), (skip_first, "the skip comes first"),
                     (no_relu, "negative values"), (not_up, "not twice the input"),
                     (todo, "not written yet")):
        assert not exercises.check_up_block(fn)
        assert hint in capsys.readouterr().out


def test_d_loss_check(capsys):
    def right(r, c, m, w):
        return 0.5 * (gan.real_loss(r) + (1 - w) * gan.fake_loss(c) + w * gan.fake_loss(m))

    assert exercises.check_d_loss(right)
    wrong = {
        "treats colorized as real": lambda r, c, m, w: 0.5 * (
            gan.real_loss(r) + (1 - w) * gan.real_loss(c) + w * gan.fake_loss(m)),
        "mismatched pairs are missing": lambda r, c, m, w: 0.5 * (
            gan.real_loss(r) + gan.fake_loss(c)),
        "swap the labels": lambda r, c, m, w: 0.5 * (
            gan.fake_loss(r) + (1 - w) * gan.real_loss(c) + w * gan.real_loss(m)),
        "x 0.5": lambda r, c, m, w: 2 * right(r, c, m, w),
        "not one number": lambda r, c, m, w: "a loss",
    }
    capsys.readouterr()
    for hint, fn in wrong.items():
        assert not exercises.check_d_loss(fn)
        assert hint in capsys.readouterr().out


def test_g_loss_check(capsys):
    assert exercises.check_g_loss(lambda c, ab, out, lam: gan.generator_adversarial_loss(c)
                                  + lam * tf.reduce_mean(tf.abs(ab - out)))
    wrong = {
        "rewards being called colorized": lambda c, ab, out, lam: gan.fake_loss(c)
        + lam * tf.reduce_mean(tf.abs(ab - out)),
        "colour term is missing": lambda c, ab, out, lam: gan.generator_adversarial_loss(c),
        "squared error": lambda c, ab, out, lam: gan.generator_adversarial_loss(c)
        + lam * tf.reduce_mean(tf.square(ab - out)),
    }
    capsys.readouterr()
    for hint, fn in wrong.items():
        assert not exercises.check_g_loss(fn)
        assert hint in capsys.readouterr().out


def test_train_step_check(capsys):
    assert exercises.check_train_step(exercises.reference_step)

    def no_generator(generator, discriminator, g_opt, d_opt, l_norm, ab):
        with tf.GradientTape() as tape:
            d = 0.5 * (gan.real_loss(discriminator([l_norm, ab], training=True))
                       + gan.fake_loss(discriminator([l_norm, generator(l_norm)],
                                                     training=True)))
        grads = tape.gradient(d, discriminator.trainable_variables)
        d_opt.apply_gradients(zip(grads, discriminator.trainable_variables))

    def swapped_d_labels(generator, discriminator, g_opt, d_opt, l_norm, ab):
        with tf.GradientTape() as gt, tf.GradientTape() as dt:
            out = generator(l_norm, training=True)
            real = discriminator([l_norm, ab], training=True)
            fake = discriminator([l_norm, out], training=True)
            d = 0.5 * (gan.fake_loss(real) + gan.real_loss(fake))
            g = gan.generator_adversarial_loss(fake) + 100 * tf.reduce_mean(tf.abs(ab - out))
        g_opt.apply_gradients(zip(gt.gradient(g, generator.trainable_variables),
                                  generator.trainable_variables))
        d_opt.apply_gradients(zip(dt.gradient(d, discriminator.trainable_variables),
                                  discriminator.trainable_variables))

    capsys.readouterr()
    assert not exercises.check_train_step(no_generator)
    assert "the generator never moved" in capsys.readouterr().out
    assert not exercises.check_train_step(swapped_d_labels)
    assert "the discriminator did not" in capsys.readouterr().out


def test_auc_check(capsys):
    assert exercises.check_auc(forensics.auc)

    def no_ties(real, colorized):
        return np.mean([r > c for r in real for c in colorized])

    def reversed_(real, colorized):
        return 1 - forensics.auc(real, colorized)

    capsys.readouterr()
    for fn, hint in ((no_ties, "ties count half"), (reversed_, "colorized photo scores higher")):
        assert not exercises.check_auc(fn)
        assert hint in capsys.readouterr().out


def test_the_gate_hides_solution_cells_unless_shown(monkeypatch):
    monkeypatch.delenv(exercises.SOLUTIONS_ENV, raising=False)
    monkeypatch.setattr(exercises, "_shown", False)
    cell = ["# @title Solution (double-click to show it)\n", "print(42)\n"]
    other = ["x = 1\n"]
    assert exercises._gate(cell) == [exercises.HIDDEN]
    assert exercises._gate(other) == other
    exercises.show_solutions()
    assert exercises._gate(cell) == cell
    monkeypatch.setattr(exercises, "_shown", False)
    monkeypatch.setenv(exercises.SOLUTIONS_ENV, "1")  # what the test suite sets
    assert exercises._gate(cell) == cell

    class Shell:
        input_transformers_cleanup: list = []

    shell = Shell()
    assert exercises.gate_solutions(shell) and exercises.gate_solutions(shell)
    assert shell.input_transformers_cleanup == [exercises._gate]  # installed once
    assert exercises.gate_solutions() is False  # outside IPython: nothing to install
