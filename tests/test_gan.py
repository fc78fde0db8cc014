import numpy as np
import pytest
import tensorflow as tf
import keras

from colorgan_utils import color
from colorgan_utils.config import get_config
from colorgan_utils.data import load_splits, make_dataset
from colorgan_utils.gan import ColorGAN
from colorgan_utils.models import build_generator, build_models

# the GAN's mechanics on the from-scratch U-Net (the pretrained encoder's own tests are below)
CFG = get_config("smoke", environ={}, encoder="scratch")


def make_gan(warmup: int = 0, objective: str = "l1", g_opt=None, dropout: bool = True,
             **kwargs) -> ColorGAN:
    cfg = CFG.replace(objective=objective)
    g, d = build_models(cfg)
    if not dropout:  # deterministic generator: the same batch gives the same gradient
        g = build_generator(cfg.image_size, cfg.generator_width, cfg.generator_max_mult,
                            dropout_blocks=0,
                            head="classification" if objective == "classify" else "regression")
    gan = ColorGAN(g, d, l1_lambda=100.0, warmup_epochs=warmup, objective=objective, **kwargs)
    gan.compile(g_opt or keras.optimizers.Adam(2e-4, beta_1=0.5),
                keras.optimizers.Adam(2e-4, beta_1=0.5))
    return gan


@pytest.fixture(scope="module")
def batch(data_dir):
    _, splits = load_splits(CFG, data_dir)
    return next(iter(make_dataset(splits["train"], CFG, training=True)))


def test_one_step_changes_both_networks_with_finite_losses(batch):
    gan = make_gan()
    g0 = [w.copy() for w in gan.generator.get_weights()]
    d0 = [w.copy() for w in gan.discriminator.get_weights()]
    logs = gan.train_step(batch)
    for k in ColorGAN.METRICS:
        assert np.isfinite(float(logs[k])), k
    assert 0 <= float(logs["d_real_acc"]) <= 1 and 0 <= float(logs["d_colorized_acc"]) <= 1
    changed_g = sum(not np.array_equal(a, b) for a, b in zip(g0, gan.generator.get_weights()))
    changed_d = sum(not np.array_equal(a, b) for a, b in zip(d0, gan.discriminator.get_weights()))
    assert changed_g > len(g0) // 2 and changed_d > len(d0) // 2
    assert int(gan.g_optimizer.iterations) == 1 and int(gan.d_optimizer.iterations) == 1
    assert gan.jit_compile is False  # XLA only where asked for (the colab preset on a GPU)


def test_train_step_trains_both_networks_in_training_mode(batch):
    """BatchNorm's moving statistics move only in training mode: after a step they have moved
    in the discriminator as well as in the generator."""
    gan = make_gan()

    def moving(model):
        return [v.numpy().copy() for v in model.non_trainable_variables if "moving" in v.path]

    g0, d0 = moving(gan.generator), moving(gan.discriminator)
    assert g0 and d0
    gan.train_step(batch)
    for before, after in ((g0, moving(gan.generator)), (d0, moving(gan.discriminator))):
        assert all(not np.array_equal(a, b) for a, b in zip(before, after))


def test_classify_step_reports_its_class_loss(batch):
    gan = make_gan(objective="classify")
    logs = gan.train_step(batch)
    assert float(logs["g_ce"]) > 1.0  # an untrained net is about log(262) = 5.6 away


def test_losses_start_near_chance(batch):
    logs = make_gan().test_step(batch)
    assert abs(float(logs["d_loss"]) - np.log(2)) < 0.05  # untrained discriminator: log 2
    assert float(logs["g_l1"]) > 0


def _step_gradient(gan: ColorGAN, batch) -> list[np.ndarray]:
    """The generator gradient one train_step applied (SGD with learning rate 1: -delta)."""
    before = [v.numpy().copy() for v in gan.generator.trainable_variables]
    gan.train_step(batch)
    return [b - v.numpy() for b, v in zip(before, gan.generator.trainable_variables)]


@pytest.mark.parametrize("objective", ["l1", "classify"])
def test_warmup_step_follows_the_colour_loss_alone(batch, objective):
    """With the adversarial weight at 0, train_step's generator gradient is exactly the gradient
    of the colour loss (100 * L1, or 10 * rebalanced cross-entropy); after the warm-up the GAN
    term changes it."""
    lum, ab = batch
    for warmup, same in ((1, True), (0, False)):
        keras.utils.set_random_seed(1)
        gan = make_gan(warmup=warmup, objective=objective, dropout=False,
                       g_opt=keras.optimizers.SGD(1.0))
        assert float(gan.adversarial_weight.numpy()) == (0.0 if warmup else 1.0)
        w0 = [v.numpy().copy() for v in gan.generator.trainable_variables]
        with tf.GradientTape() as tape:
            if objective == "l1":
                colorized = gan.generator(lum, training=True)
                loss = 100.0 * tf.reduce_mean(tf.abs(ab - colorized))
            else:
                logits, _ = gan.generator_logits(lum, training=True)
                loss = 10.0 * gan.class_loss(logits, ab)
        want = tape.gradient(loss, gan.generator.trainable_variables)
        for v, w in zip(gan.generator.trainable_variables, w0):
            v.assign(w)  # the tape's forward pass moved no weights, but be explicit
        got = _step_gradient(gan, batch)
        close = all(np.allclose(a, b.numpy(), rtol=1e-3, atol=1e-6) for a, b in zip(got, want))
        assert close == same, (objective, warmup)


@pytest.mark.parametrize("objective", ["l1", "classify"])
def test_a_few_steps_on_one_batch_lower_the_colour_loss(batch, objective):
    keras.utils.set_random_seed(0)
    gan = make_gan(warmup=100, objective=objective, dropout=False,
                   g_opt=keras.optimizers.Adam(2e-3))
    lum, ab = batch
    index = 2 if objective == "l1" else 5  # g_l1 or g_ce in _forward's result

    def loss() -> float:  # training mode: BatchNorm on the batch's own statistics
        return float(gan._forward(lum, ab, True)[index])

    first = loss()
    for _ in range(15):
        gan.train_step(batch)
    assert loss() < 0.9 * first


class FixedDiscriminator(keras.Model):
    """A discriminator whose answer is known: logit +``logit`` for the first half of its batch
    (ColorGAN puts the real photos there), -``logit`` for the second half (the colorized ones)."""

    def __init__(self, logit: float = 0.5, **kwargs):
        super().__init__(**kwargs)
        self.logit = logit

    def call(self, inputs, training=False):
        lum = inputs[0]
        n = tf.shape(lum)[0] // 2
        half = tf.ones([n, 4, 4, 1])
        return tf.concat([self.logit * half, -self.logit * half], 0)


def test_discriminator_accuracies_on_known_logits(batch):
    g, _ = build_models(CFG)
    gan = ColorGAN(g, FixedDiscriminator())
    logs = gan.test_step(batch)
    # logit 0.5 is P(real) = 0.62: "real" at the P = 0.5 threshold
    assert float(logs["d_real_acc"]) == 1.0 and float(logs["d_colorized_acc"]) == 1.0
    want = 0.5 * (np.log1p(np.exp(-0.5)) + np.log1p(np.exp(-0.5)))
    assert float(logs["d_loss"]) == pytest.approx(want, rel=1e-5)
    assert float(logs["g_adv_loss"]) == pytest.approx(np.log1p(np.exp(0.5)), rel=1e-5)
    # logit exactly 0 is P(real) = 0.5, not above the threshold: a "colorized" verdict
    on_the_line = ColorGAN(g, FixedDiscriminator(0.0)).test_step(batch)
    assert float(on_the_line["d_real_acc"]) == 0.0
    assert float(on_the_line["d_colorized_acc"]) == 1.0
    # a discriminator that has it backwards is wrong about both halves
    backwards = ColorGAN(g, FixedDiscriminator(-0.5)).test_step(batch)
    assert float(backwards["d_real_acc"]) == 0.0 and float(backwards["d_colorized_acc"]) == 0.0


def test_bad_settings_are_refused_by_name():
    g, d = build_models(CFG)
    with pytest.raises(ValueError, match="objective='l2': use 'l1' or 'classify'"):
        ColorGAN(g, d, objective="l2")
    gc, dc = build_models(CFG.replace(objective="classify"))
    with pytest.raises(ValueError, match=r"class_weights: \(3,\) for \d+ ab bins"):
        ColorGAN(gc, dc, objective="classify", class_weights=[1.0, 2.0, 3.0])
    gan = ColorGAN(g, d, warmup_epochs=2)
    # the warm-up switch is a setting, not a weight: no optimizer may ever move it
    assert gan.adversarial_weight.trainable is False and float(gan.adversarial_weight) == 0.0


def test_class_loss_prefers_the_true_bin_and_weights_rare_colours(batch):
    gan = make_gan(objective="classify")
    lum, ab = batch
    centres = gan.centres
    pooled = tf.nn.avg_pool2d(ab, 4, 4, "VALID")
    from colorgan_utils.ab_bins import soft_encode

    target, nearest = soft_encode(pooled, centres)
    right = 20.0 * target  # logits that point at the soft-encoded truth
    wrong = tf.roll(right, 37, axis=-1)
    assert float(gan.class_loss(right, ab)) < float(gan.class_loss(wrong, ab))
    heavy = make_gan(objective="classify", class_weights=np.full(len(centres), 3.0))
    assert float(heavy.class_loss(wrong, ab)) == pytest.approx(3 * float(gan.class_loss(wrong, ab)),
                                                               rel=1e-5)


def test_mixed_precision_keeps_losses_float32(batch):
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        gan = make_gan()
        assert isinstance(gan.g_optimizer, keras.optimizers.LossScaleOptimizer)
        assert gan.generator.layers[-1].compute_dtype == "float32"
        logs = gan.train_step(batch)
        assert all(np.isfinite(float(logs[k])) for k in ColorGAN.METRICS)
    finally:
        keras.mixed_precision.set_global_policy("float32")


def test_colorgan_config_round_trip():
    weights = np.linspace(0.5, 2.0, len(make_gan(objective="classify").centres))
    cfg = CFG.replace(objective="classify")
    g, d = build_models(cfg)
    gan = ColorGAN(g, d, l1_lambda=30.0, warmup_epochs=2, objective="classify", ce_lambda=5.0,
                   class_weights=weights, adversarial_lambda=0.5)
    again = ColorGAN.from_config(gan.get_config())
    assert (again.l1_lambda, again.warmup_epochs, again.objective, again.ce_lambda,
            again.adversarial_lambda) == (30.0, 2, "classify", 5.0, 0.5)
    np.testing.assert_allclose(again.class_weights, weights, rtol=1e-6)
    for mine, theirs in ((again.generator, g), (again.discriminator, d)):
        assert mine is not None and mine.count_params() == theirs.count_params()
        assert mine.input_shape == theirs.input_shape
        assert mine.output_shape == theirs.output_shape


def test_class_loss_targets_the_mean_colour_of_each_cell(batch):
    """The bins are predicted at 1/4 size: the target of each 4x4 cell is its *mean* ab. A
    checkerboard of two opposite colours averages to gray, so logits that point at the gray
    bin are right, and logits that point at one of the two colours are wrong."""
    gan = make_gan(objective="classify")
    lum, _ = batch
    n, s = lum.shape[0], lum.shape[1]
    checker = (np.indices((s, s)).sum(0) % 2 * 2 - 1).astype(np.float32)  # +1 / -1
    ab = np.repeat((0.3 * checker)[None, ..., None], 2, -1).repeat(n, 0)
    cells = (n, s // 4, s // 4, len(gan.centres))

    def loss_at(ab_lab: float) -> float:  # logits pointing at the bin nearest (ab_lab, ab_lab)
        k = np.argmin(np.abs(gan.centres - ab_lab).sum(-1))
        return float(gan.class_loss(20.0 * tf.one_hot(np.full(cells[:3], k), cells[3]), ab))

    one_colour = 0.3 * color.AB_SCALE
    assert loss_at(0.0) < 0.5 * min(loss_at(one_colour), loss_at(-one_colour))


def test_class_loss_known_values(batch):
    """Uniform logits: the cross-entropy of each cell against a soft target (which sums to 1)
    is exactly log Q; with class weights it is scaled by the weight of each cell's bin."""
    gan = make_gan(objective="classify")
    lum, ab = batch
    q = len(gan.centres)
    n, s = lum.shape[0], lum.shape[1]
    uniform = tf.zeros((n, s // 4, s // 4, q))
    assert float(gan.class_loss(uniform, ab)) == pytest.approx(np.log(q), rel=1e-5)
    weights = np.arange(1, q + 1, dtype=np.float32)
    weighted = make_gan(objective="classify", class_weights=weights)
    from colorgan_utils.ab_bins import soft_encode

    _, nearest = soft_encode(tf.nn.avg_pool2d(ab, 4, 4, "VALID"), gan.centres)
    want = float(np.mean(weights[np.asarray(nearest)])) * np.log(q)
    assert float(weighted.class_loss(uniform, ab)) == pytest.approx(want, rel=1e-5)


def test_generator_loss_known_values():
    gan = make_gan(adversarial_lambda=0.5)
    assert float(gan.generator_loss(3.0, 0.2)) == pytest.approx(0.5 * 3.0 + 100.0 * 0.2)
    classify = make_gan(objective="classify", ce_lambda=4.0, adversarial_lambda=0.25)
    assert float(classify.generator_loss(2.0, 0.2, 1.5)) == pytest.approx(0.25 * 2.0 + 4.0 * 1.5)
    gan.adversarial_weight.assign(0.0)  # the warm-up: the colour term alone
    assert float(gan.generator_loss(3.0, 0.2)) == pytest.approx(100.0 * 0.2)


def test_validation_step_changes_nothing_and_repeats(batch):
    """``test_step`` runs both networks in inference mode: no weight and no BatchNorm
    statistic moves, and the same batch gives the same losses twice."""
    gan = make_gan()
    before = [v.numpy().copy() for v in gan.generator.variables + gan.discriminator.variables]
    first = {k: float(v) for k, v in gan.test_step(batch).items()}
    for m in gan.metrics:
        m.reset_state()
    second = {k: float(v) for k, v in gan.test_step(batch).items()}
    after = [v.numpy() for v in gan.generator.variables + gan.discriminator.variables]
    assert all(np.array_equal(a, b) for a, b in zip(before, after))
    assert first == pytest.approx(second, rel=1e-6)


def test_chroma_gap_known_values():
    """Issue 8 (d): ``chroma_gap`` compares each photo's mean chroma, not its pixels."""
    from colorgan_utils.gan import chroma_gap

    colorized = np.zeros((2, 2, 2, 2), np.float32)
    real = np.zeros((2, 2, 2, 2), np.float32)
    colorized[0] = (0.3, 0.4)  # chroma 0.5 everywhere
    real[0] = (0.0, 0.2)  # chroma 0.2: gap 0.3
    colorized[1, :, 0] = (0.6, 0.8)  # the left column chroma 1, the right gray: mean 0.5
    real[1] = (-0.5, 0.0)  # chroma 0.5 everywhere, another hue: gap 0
    assert float(chroma_gap(colorized, real)) == pytest.approx((0.3 + 0.0) / 2, abs=1e-3)
    # the same amount of colour in other places costs nothing
    assert float(chroma_gap(colorized[1:], colorized[1:, :, ::-1])) == pytest.approx(0.0, abs=1e-6)


def test_chroma_term_in_the_loss_and_the_logs(batch):
    gan = make_gan(chroma_lambda=2.0, adversarial_lambda=0.5)
    assert float(gan.generator_loss(3.0, 0.2, None, 0.25)) == pytest.approx(
        0.5 * 3.0 + 100.0 * 0.2 + 2.0 * 0.25)
    # the logged g_chroma is the chroma gap of the step's colorizations: exactly so in a
    # validation step; in a training step (dropout on) about what the generator gives
    from colorgan_utils.gan import chroma_gap

    lum, ab = batch
    want = float(chroma_gap(gan.generator(lum, training=True), ab))
    logs = gan.train_step(batch)
    assert want > 0.01 and float(logs["g_chroma"]) == pytest.approx(want, rel=0.2)
    fresh = make_gan(chroma_lambda=2.0)
    want = float(chroma_gap(fresh.generator(lum, training=False), ab))
    assert float(fresh.test_step(batch)["g_chroma"]) == pytest.approx(want, rel=1e-3)
    assert "g_chroma" not in make_gan().train_step(batch)
    again = ColorGAN.from_config(gan.get_config())
    assert again.chroma_lambda == 2.0
    gc, dc = build_models(CFG.replace(objective="classify"))
    with pytest.raises(ValueError, match="chroma_lambda=1.0: only with objective='l1'"):
        ColorGAN(gc, dc, objective="classify", chroma_lambda=1.0)


def test_a_frozen_encoder_is_not_trained_and_a_fine_tuned_one_moves_gently(batch):
    """Transfer learning: frozen, the pretrained encoder (weights and BatchNorm statistics)
    does not change while the decoder does; unfrozen, it moves by its own, lower learning
    rate (Adam's first step moves each weight by about its learning rate)."""
    from colorgan_utils.encoder import set_frozen
    from colorgan_utils.models import build_discriminator, build_pretrained_generator

    gen = build_pretrained_generator(32, 0.35, weights=None, width=8)
    gan = ColorGAN(gen, build_discriminator(32, 8), warmup_epochs=0)
    g_lr, e_lr = 1e-2, 1e-4
    set_frozen(gen, True)
    gan.compile(keras.optimizers.Adam(g_lr), keras.optimizers.Adam(1e-3),
                e_optimizer=keras.optimizers.Adam(e_lr))
    enc = gen.get_layer("encoder")
    decoder = [v for v in gen.trainable_variables]

    def snapshot():
        return ([np.array(w) for w in enc.get_weights()], [np.array(v) for v in decoder])

    enc0, dec0 = snapshot()
    gan.train_step(batch)
    enc1, dec1 = snapshot()
    assert all(np.array_equal(a, b) for a, b in zip(enc0, enc1)), "a frozen encoder moved"
    assert max(np.abs(a - b).max() for a, b in zip(dec0, dec1)) > 0.5 * g_lr

    set_frozen(gen, False)
    gan.make_train_function(force=True)
    gan.train_step(batch)
    enc2, dec2 = snapshot()
    moved = [np.abs(a - b).max() for a, b in zip(enc1, enc2)]
    assert max(moved) > 0.5 * e_lr, "the fine-tuned encoder did not move"
    assert max(moved) <= 1.5 * e_lr, "the encoder moved by more than its learning rate"
    # BatchNorm statistics of the encoder stay ImageNet's, also while it is fine-tuned
    stats = [i for i, w in enumerate(enc.weights) if "moving" in w.path]
    assert stats and all(np.array_equal(enc1[i], enc2[i]) for i in stats)


def test_a_pretrained_generator_needs_its_encoder_optimizer():
    from colorgan_utils.models import build_discriminator, build_pretrained_generator

    gan = ColorGAN(build_pretrained_generator(32, 0.35, weights=None, width=8),
                   build_discriminator(32, 8))
    with pytest.raises(ValueError, match="e_optimizer"):
        gan.compile(keras.optimizers.Adam(), keras.optimizers.Adam())
