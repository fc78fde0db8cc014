"""ColorGAN: the generator and the discriminator trained against each other with ``fit()``.

Taught in notebook 04 (``04_adversarial_training.ipynb``). One objective, pix2pix's:

* discriminator: ``d_loss = (BCE(real patches, 1) + BCE(colorized patches, 0)) / 2`` — about
  ``log 2 = 0.693`` when it cannot tell them apart. With ``mismatch_weight`` w > 0 it is also
  shown **mismatched pairs**, real colours laid on another photo's L (the batch rolled by one),
  as fakes: ``(BCE(real, 1) + (1 - w) BCE(colorized, 0) + w BCE(mismatched, 0)) / 2``, the
  matching-aware discriminator of Reed et al. 2016, so that it must check that the colours
  *fit* the photo, not only how colourful they are;
* generator: ``g_loss = GAN term + colour term``, the GAN term ``BCE(colorized patches, 1)``
  (0 during the first ``warmup_epochs``: the generator learns colour alone first, while the
  discriminator already trains), the colour term ``colour_loss(ab, colorized ab)``, by default
  :class:`L1Colour`: ``100 x mean |ab error|``, times ``colour_scale`` (1, or annealed towards
  ``l1_lambda_end / l1_lambda`` by :class:`~colorgan_utils.callbacks.AdversarialSwitch`).

``gan_loss`` picks the adversarial loss: ``"bce"`` (pix2pix, above), ``"hinge"`` (SNGAN:
``d = mean relu(1 - real) + mean relu(1 + fake)``, ``g = -mean fake``) or ``"lsgan"`` (least
squares: ``d = mean (real - 1)^2 + mean fake^2``, ``g = mean (fake - 1)^2``), each halved for
the discriminator like the BCE.

:meth:`ColorGAN.loss_terms` returns every term of one batch by name (notebook 04 prints them).
Colour as classes (Zhang et al. 2016) replaces the colour term in the opt-in
:mod:`colorgan_utils.colour_classes` (notebook 06).
"""

from __future__ import annotations

from typing import Any

import keras
import tensorflow as tf


def bce(logits: tf.Tensor, target: float) -> tf.Tensor:
    """Mean sigmoid cross-entropy of patch logits against one label (1 = real), in float32."""
    logits = tf.cast(logits, tf.float32)
    labels = tf.fill(tf.shape(logits), target)
    return tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits))


GAN_LOSSES = ("bce", "hinge", "lsgan")


def real_loss(logits: tf.Tensor, kind: str = "bce") -> tf.Tensor:
    """The discriminator's loss on patches it should call real (logit > 0), in float32."""
    logits = tf.cast(logits, tf.float32)
    if kind == "hinge":
        return tf.reduce_mean(tf.nn.relu(1.0 - logits))
    if kind == "lsgan":
        return tf.reduce_mean(tf.square(logits - 1.0))
    return bce(logits, 1.0)


def fake_loss(logits: tf.Tensor, kind: str = "bce") -> tf.Tensor:
    """The discriminator's loss on patches it should call colorized (logit <= 0)."""
    logits = tf.cast(logits, tf.float32)
    if kind == "hinge":
        return tf.reduce_mean(tf.nn.relu(1.0 + logits))
    if kind == "lsgan":
        return tf.reduce_mean(tf.square(logits))
    return bce(logits, 0.0)


def generator_adversarial_loss(logits: tf.Tensor, kind: str = "bce") -> tf.Tensor:
    """The generator's GAN term on the colorized patches: small when they are called real."""
    logits = tf.cast(logits, tf.float32)
    if kind == "hinge":
        return -tf.reduce_mean(logits)
    if kind == "lsgan":
        return tf.reduce_mean(tf.square(logits - 1.0))
    return bce(logits, 1.0)


def mismatched(ab: tf.Tensor) -> tf.Tensor:
    """Real colours on the wrong photo: ``ab`` rolled by one along the batch (photo ``i`` gets
    photo ``i - 1``'s colours). A batch of one has no other photo: it is flipped upside down
    and left to right instead, so its colours still land on the wrong places."""
    rolled = tf.roll(ab, shift=1, axis=0)
    return tf.cond(tf.shape(ab)[0] > 1, lambda: rolled, lambda: tf.reverse(ab, axis=[1, 2]))


def l1(ab: tf.Tensor, colorized_ab: tf.Tensor) -> tf.Tensor:
    """Mean absolute error on ab (the networks' units, [-1, 1]), in float32."""
    return tf.reduce_mean(tf.abs(tf.cast(ab, tf.float32) - tf.cast(colorized_ab, tf.float32)))


@keras.saving.register_keras_serializable(package="colorgan")
class L1Colour:
    """pix2pix's colour term: ``weight x mean |ab - colorized ab|`` (``weight`` = lambda, 100)."""

    def __init__(self, weight: float = 100.0) -> None:
        self.weight = float(weight)

    def __call__(self, ab: tf.Tensor, colorized_ab: tf.Tensor) -> tf.Tensor:
        return self.weight * l1(ab, colorized_ab)

    def get_config(self) -> dict[str, Any]:
        return {"weight": self.weight}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "L1Colour":
        return cls(**config)


@keras.saving.register_keras_serializable(package="colorgan")
class ColorGAN(keras.Model):
    """Holds ``generator`` (L -> ab) and ``discriminator`` ((L, ab) -> patch logits).

    ``fit()`` on a dataset of ``(L, ab)`` batches logs per epoch: ``d_loss``, ``g_adv_loss``
    (the GAN term), ``g_l1`` (mean |ab error|, whatever the colour term), ``d_real_acc``,
    ``d_colorized_acc`` and ``d_mismatch_acc`` (per-patch accuracy at logit 0, i.e. P = 0.5;
    the last: mismatched pairs called colorized), and the same with ``val_`` on validation
    data. ``mismatch_weight`` and ``gan_loss``: see the module's docstring.
    """

    METRICS = ("d_loss", "g_adv_loss", "g_l1", "d_real_acc", "d_colorized_acc",
               "d_mismatch_acc")

    # Keras inspects __init__ and call: mutmut must not wrap them (README, Mutation testing)
    # pragma: no mutate start
    def __init__(self, generator: keras.Model, discriminator: keras.Model,
                 colour_loss: Any = None, warmup_epochs: int = 0, mismatch_weight: float = 0.0,
                 gan_loss: str = "bce", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._configure(generator, discriminator, colour_loss, warmup_epochs, mismatch_weight,
                        gan_loss)

    def call(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        return self.generator(x, training=training)
    # pragma: no mutate end

    def _configure(self, generator: keras.Model, discriminator: keras.Model, colour_loss: Any,
                   warmup_epochs: int, mismatch_weight: float = 0.0,
                   gan_loss: str = "bce") -> None:
        """The body of ``__init__``, kept apart so that mutation testing reaches it."""
        if not 0.0 <= float(mismatch_weight) <= 1.0:
            raise ValueError(f"mismatch_weight={mismatch_weight}: use a share in [0, 1]")
        if gan_loss not in GAN_LOSSES:
            raise ValueError(f"gan_loss={gan_loss!r}: use one of {', '.join(GAN_LOSSES)}")
        self.mismatch_weight = float(mismatch_weight)
        self.gan_loss = gan_loss
        self.generator = generator
        self.discriminator = discriminator
        self.colour_loss = L1Colour() if colour_loss is None else colour_loss
        self.warmup_epochs = int(warmup_epochs)
        # 0.0 during the warm-up, 1.0 after (set per epoch by callbacks.AdversarialSwitch)
        self.adversarial_weight = tf.Variable(1.0 if warmup_epochs == 0 else 0.0,
                                              trainable=False, dtype=tf.float32,
                                              name="adversarial_weight")
        # the colour term's multiplier: 1, or annealed after the warm-up (l1_lambda_end)
        self.colour_scale = tf.Variable(1.0, trainable=False, dtype=tf.float32,
                                        name="colour_scale")
        self.trackers = {name: keras.metrics.Mean(name=name) for name in self.METRICS}
        self.built = True

    def compile(self, g_optimizer: keras.optimizers.Optimizer,
                d_optimizer: keras.optimizers.Optimizer, jit_compile: bool | str = False,
                e_optimizer: keras.optimizers.Optimizer | None = None, **kwargs: Any) -> None:
        """Two optimizers (three with a pretrained encoder: ``e_optimizer`` fine-tunes it,
        usually at a lower learning rate); with a ``mixed_float16`` policy each gets dynamic
        loss scaling."""
        super().compile(optimizer=None, jit_compile=jit_compile, **kwargs)
        encoder = self._encoder()
        if encoder is not None and e_optimizer is None:
            raise ValueError("a generator with a pretrained encoder needs e_optimizer")
        opts = [g_optimizer, d_optimizer, e_optimizer]
        if keras.mixed_precision.global_policy().name == "mixed_float16":
            opts = [o if o is None or isinstance(o, keras.optimizers.LossScaleOptimizer)
                    else keras.optimizers.LossScaleOptimizer(o) for o in opts]
        self.g_optimizer, self.d_optimizer, self.e_optimizer = opts
        # fixed variable lists, whether the encoder is frozen now or not (the optimizers and
        # the backup keep one slot per variable from the start)
        e_ids = set()
        if encoder is not None:
            from colorgan_utils.encoder import set_frozen

            was = encoder.trainable
            set_frozen(self.generator, False)
            e_variables = list(encoder.trainable_variables)
            set_frozen(self.generator, not was)
            e_ids = {id(v) for v in e_variables}
            self.e_optimizer.build(e_variables)
        else:
            e_variables = []
        # plain attributes: Keras must not track these variables a second time as the model's
        object.__setattr__(self, "e_variables", e_variables)
        object.__setattr__(self, "g_variables", [v for v in self.generator.trainable_variables
                                                 if id(v) not in e_ids])
        # build now, so a BackupAndRestore checkpoint can restore their state before step 1
        self.g_optimizer.build(self.g_variables)
        self.d_optimizer.build(self.discriminator.trainable_variables)

    def _encoder(self) -> keras.Model | None:
        """The generator's pretrained encoder (a nested model named ``encoder``), if any."""
        return next((ly for ly in self.generator.layers if ly.name == "encoder"), None)

    @property
    def metrics(self) -> list[keras.metrics.Metric]:
        return list(self.trackers.values())

    def colour_term(self, x: tf.Tensor, ab: tf.Tensor,
                    training: bool) -> tuple[tf.Tensor, tf.Tensor, dict[str, tf.Tensor]]:
        """The generator's colorization of its input ``x`` (L, or L and hints), its colour
        term, and any extra figures to log (none here; colour as classes logs its
        cross-entropy)."""
        colorized_ab = self.generator(x, training=training)
        return colorized_ab, self.colour_loss(ab, colorized_ab), {}

    def discriminate(self, l_norm: tf.Tensor, ab: tf.Tensor, colorized_ab: tf.Tensor,
                     training: bool = False) -> tuple[tf.Tensor, ...]:
        """Patch logits for real, colorized (and, with ``mismatch_weight`` > 0, mismatched)
        pairs in ONE batch, so that a discriminator with BatchNorm sees them together. Returns
        ``(real, colorized, mismatched or None)``."""
        fake_ab = [tf.cast(ab, colorized_ab.dtype), colorized_ab]
        if self.mismatch_weight > 0:
            fake_ab.append(mismatched(fake_ab[0]))
        both = self.discriminator([tf.concat([l_norm] * len(fake_ab), 0), tf.concat(fake_ab, 0)],
                                  training=training)
        parts = tf.split(both, len(fake_ab), axis=0)
        return parts[0], parts[1], (parts[2] if len(parts) > 2 else None)

    def loss_terms(self, x: tf.Tensor, ab: tf.Tensor,
                   training: bool = False) -> dict[str, tf.Tensor]:
        """Every term of one batch, by name: ``d_loss``; ``g_adv_loss`` (the GAN term),
        ``g_colour`` (the colour term) and their sum ``g_loss`` (the GAN term weighted by the
        warm-up switch, the colour term by ``colour_scale``); ``g_l1``; the patch logits
        ``real_logits``, ``colorized_logits`` and ``mismatch_logits`` (None without mismatched
        pairs); the colorization ``colorized_ab`` (and the colour term's extra figures). Not
        named ``losses``: Keras models already have a ``losses`` (their regularisation
        terms). ``x``: the generator's input; its first channel is L, all the discriminator
        sees (a hinted generator's hints are not shown to it)."""
        l_norm = x[..., :1]
        colorized_ab, g_colour, extra = self.colour_term(x, ab, training)
        real_logits, colorized_logits, mismatch_logits = self.discriminate(
            l_norm, ab, colorized_ab, training)
        kind, w = self.gan_loss, self.mismatch_weight
        d_fake = fake_loss(colorized_logits, kind)
        if mismatch_logits is not None:
            d_fake = (1.0 - w) * d_fake + w * fake_loss(mismatch_logits, kind)
        d_loss = 0.5 * (real_loss(real_logits, kind) + d_fake)
        g_adv_loss = generator_adversarial_loss(colorized_logits, kind)
        return {"d_loss": d_loss, "g_adv_loss": g_adv_loss, "g_colour": g_colour,
                "g_loss": self.adversarial_weight * g_adv_loss + self.colour_scale * g_colour,
                "g_l1": l1(ab, colorized_ab), "real_logits": real_logits,
                "colorized_logits": colorized_logits, "mismatch_logits": mismatch_logits,
                "colorized_ab": colorized_ab, **extra}

    def train_step(self, data: Any) -> dict[str, tf.Tensor]:
        x, ab = data
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            terms = self.loss_terms(x, ab, training=True)
            g_scaled = self._scaled(terms["g_loss"], self.g_optimizer)
            d_scaled = self._scaled(terms["d_loss"], self.d_optimizer)
        # the generator's step (its pretrained encoder, if fine-tuned, at its own rate)
        encoder = self._encoder()
        e_vars = self.e_variables if encoder is not None and encoder.trainable else []
        g_vars = self.g_variables
        grads = g_tape.gradient(g_scaled, g_vars + e_vars)
        self.g_optimizer.apply_gradients(zip(grads[:len(g_vars)], g_vars))
        if e_vars:
            self.e_optimizer.apply_gradients(zip(grads[len(g_vars):], e_vars))
        # the discriminator's step
        d_vars = self.discriminator.trainable_variables
        self.d_optimizer.apply_gradients(zip(d_tape.gradient(d_scaled, d_vars), d_vars))
        return self._log(terms, x[..., :1], ab)

    def test_step(self, data: Any) -> dict[str, tf.Tensor]:
        x, ab = data
        return self._log(self.loss_terms(x, ab, training=False), x[..., :1], ab)

    def _scaled(self, loss: tf.Tensor, optimizer: keras.optimizers.Optimizer) -> tf.Tensor:
        """Loss for the gradient: divided by the replicas (their gradients are summed), then
        loss-scaled under mixed precision."""
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        if replicas > 1:
            loss = loss / float(replicas)
        if isinstance(optimizer, keras.optimizers.LossScaleOptimizer):
            loss = optimizer.scale_loss(loss)
        return loss

    def _log(self, terms: dict[str, tf.Tensor], l_norm: tf.Tensor,
             ab: tf.Tensor) -> dict[str, tf.Tensor]:
        """Update the epoch's running means from one batch's terms; return them all. Without
        mismatched pairs in the loss, ``d_mismatch_acc`` is measured in inference mode."""
        called_fake = lambda x: tf.cast(tf.cast(x, tf.float32) <= 0, tf.float32)  # noqa: E731
        mismatch = terms.get("mismatch_logits")
        if mismatch is None:  # not trained on them: how it judges them all the same
            mismatch = self.discriminator([l_norm, mismatched(tf.cast(ab, tf.float32))],
                                          training=False)
        accuracy = {"d_real_acc": 1.0 - called_fake(terms["real_logits"]),
                    "d_colorized_acc": called_fake(terms["colorized_logits"]),
                    "d_mismatch_acc": (called_fake(mismatch) if mismatch is not None
                                       else tf.constant(float("nan")))}
        for name, tracker in self.trackers.items():
            tracker.update_state(accuracy[name] if name in accuracy else terms[name])
        return {name: m.result() for name, m in self.trackers.items()}

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "generator": keras.saving.serialize_keras_object(self.generator),
            "discriminator": keras.saving.serialize_keras_object(self.discriminator),
            "colour_loss": keras.saving.serialize_keras_object(self.colour_loss),
            "warmup_epochs": self.warmup_epochs,
            "mismatch_weight": self.mismatch_weight,
            "gan_loss": self.gan_loss,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "ColorGAN":
        config = dict(config)
        for key in ("generator", "discriminator", "colour_loss"):
            config[key] = keras.saving.deserialize_keras_object(config[key])
        return cls(**config)
