"""ColorGAN: the generator and the discriminator trained against each other with ``fit()``.

Taught in notebook 04 (``04_adversarial_training.ipynb``). Losses (pix2pix):

* discriminator: ``d_loss = (BCE(real patches, 1) + BCE(colorized patches, 0)) / 2`` — about
  ``log 2 = 0.693`` when it cannot tell them apart;
* generator, ``objective="l1"``: ``g_loss = adversarial_lambda * g_adv_loss + l1_lambda * g_l1``
  with ``g_adv_loss = BCE(colorized patches, 1)`` and ``g_l1`` the mean absolute error on ab;
  ``chroma_lambda > 0`` adds ``chroma_lambda * g_chroma``, the mean over photos of
  ``|mean chroma(colorized) - mean chroma(real)|`` (chroma = ``sqrt(a² + b²)``): a pull towards
  each photo's true amount of colour that leaves *where* the colour goes to the other terms;
* generator, ``objective="classify"``: ``g_loss = adversarial_lambda * g_adv_loss + ce_lambda *
  g_ce`` with ``g_ce`` the class-rebalanced cross-entropy between the generator's ab-bin
  logits (1/4 size) and the soft-encoded true ab (Zhang et al. 2016; :mod:`ab_bins`).
  ``g_l1`` is still measured (not trained on), so both objectives report the same figure.

During the first ``warmup_epochs`` the generator learns from its colour loss alone (the
discriminator already trains); ``adversarial_lambda = 0`` turns the GAN loss off for good.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
import tensorflow as tf

from colorgan_utils import ab_bins, models


def _bce(logits: tf.Tensor, target: float) -> tf.Tensor:
    """Mean sigmoid cross-entropy of logits against a constant label, in float32."""
    logits = tf.cast(logits, tf.float32)
    labels = tf.fill(tf.shape(logits), target)
    return tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits))


def chroma_gap(colorized_ab: tf.Tensor, ab: tf.Tensor) -> tf.Tensor:
    """Mean over photos of ``|mean chroma(colorized) - mean chroma(real)|``, chroma being
    ``sqrt(a² + b²)`` per pixel (in the networks' ab units), in float32."""
    def mean_chroma(x: tf.Tensor) -> tf.Tensor:
        x = tf.cast(x, tf.float32)
        return tf.reduce_mean(tf.sqrt(tf.reduce_sum(tf.square(x), -1) + 1e-6), axis=[1, 2])

    return tf.reduce_mean(tf.abs(mean_chroma(colorized_ab) - mean_chroma(ab)))


@keras.saving.register_keras_serializable(package="colorgan")
class ColorGAN(keras.Model):
    """Holds ``generator`` (L -> ab) and ``discriminator`` ((L, ab) -> patch logits).

    ``fit()`` on a dataset of ``(L, ab)`` batches logs per epoch: ``d_loss``, ``g_adv_loss``,
    ``g_l1``, ``d_real_acc`` and ``d_colorized_acc`` (per-patch accuracy at logit 0, i.e. P = 0.5),
    and the same with ``val_`` on validation data.
    """

    METRICS = ("d_loss", "g_adv_loss", "g_l1", "d_real_acc", "d_colorized_acc")

    # Keras inspects __init__ and call: mutmut must not wrap them (README, Mutation testing)
    # pragma: no mutate start
    def __init__(self, generator: keras.Model, discriminator: keras.Model,
                 l1_lambda: float = 100.0, warmup_epochs: int = 0, objective: str = "l1",
                 ce_lambda: float = 10.0, class_weights: Any = None,
                 adversarial_lambda: float = 1.0, chroma_lambda: float = 0.0,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._configure(generator, discriminator, l1_lambda, warmup_epochs, objective,
                        ce_lambda, class_weights, adversarial_lambda, chroma_lambda)

    def call(self, l_norm: tf.Tensor, training: bool = False) -> tf.Tensor:
        return self.generator(l_norm, training=training)
    # pragma: no mutate end

    def _configure(self, generator: keras.Model, discriminator: keras.Model, l1_lambda: float,
                   warmup_epochs: int, objective: str, ce_lambda: float, class_weights: Any,
                   adversarial_lambda: float, chroma_lambda: float = 0.0) -> None:
        """The body of ``__init__``, kept apart so that mutation testing reaches it."""
        if objective not in ("l1", "classify"):
            raise ValueError(f"objective={objective!r}: use 'l1' or 'classify'")
        self.generator = generator
        self.discriminator = discriminator
        self.l1_lambda = float(l1_lambda)
        self.ce_lambda = float(ce_lambda)
        self.adversarial_lambda = float(adversarial_lambda)
        self.chroma_lambda = float(chroma_lambda)
        if self.chroma_lambda and objective != "l1":
            raise ValueError(f"chroma_lambda={chroma_lambda}: only with objective='l1'")
        self.warmup_epochs = int(warmup_epochs)
        self.objective = objective
        if objective == "classify":
            decoder = generator.get_layer("annealed_mean")
            self.centres = np.asarray(decoder.centres, np.float32)
            if class_weights is None:
                class_weights = np.ones(len(self.centres), np.float32)
            self.class_weights = np.asarray(class_weights, np.float32)
            if self.class_weights.shape != (len(self.centres),):
                raise ValueError(f"class_weights: {self.class_weights.shape} for "
                                 f"{len(self.centres)} ab bins")
            # the same weights, two outputs: bin logits (trained) and the decoded ab
            self.generator_logits = keras.Model(
                generator.inputs, [generator.get_layer("ab_logits").output, generator.output])
            self.METRICS = self.METRICS + ("g_ce",)
        if self.chroma_lambda:
            self.METRICS = self.METRICS + ("g_chroma",)
        # 0.0 during the warm-up, 1.0 after (set per epoch by AdversarialSwitch); the GAN
        # term's weight is adversarial_weight * adversarial_lambda
        self.adversarial_weight = tf.Variable(1.0 if warmup_epochs == 0 else 0.0,
                                              trainable=False, dtype=tf.float32,
                                              name="adversarial_weight")
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

    def _scaled(self, loss: tf.Tensor, optimizer: keras.optimizers.Optimizer) -> tf.Tensor:
        """Loss for the gradient: divided by the replicas (their gradients are summed), then
        loss-scaled under mixed precision."""
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        if replicas > 1:
            loss = loss / float(replicas)
        if isinstance(optimizer, keras.optimizers.LossScaleOptimizer):
            loss = optimizer.scale_loss(loss)
        return loss

    def _update(self, d_loss, g_adv, g_l1, real_logits, colorized_logits,
                g_ce=None, g_chroma=None) -> dict[str, tf.Tensor]:
        real_logits = tf.cast(real_logits, tf.float32)
        colorized_logits = tf.cast(colorized_logits, tf.float32)
        self.trackers["d_loss"].update_state(d_loss)
        self.trackers["g_adv_loss"].update_state(g_adv)
        self.trackers["g_l1"].update_state(g_l1)
        self.trackers["d_real_acc"].update_state(tf.cast(real_logits > 0, tf.float32))
        self.trackers["d_colorized_acc"].update_state(tf.cast(colorized_logits <= 0, tf.float32))
        if g_ce is not None:
            self.trackers["g_ce"].update_state(g_ce)
        if g_chroma is not None:
            self.trackers["g_chroma"].update_state(g_chroma)
        return {name: m.result() for name, m in self.trackers.items()}

    def class_loss(self, logits: tf.Tensor, ab: tf.Tensor) -> tf.Tensor:
        """Rebalanced cross-entropy of bin ``logits`` ``[B, h, w, Q]`` against the true ``ab``
        ``[B, H, W, 2]`` in [-1, 1], average-pooled to ``h x w`` and soft-encoded."""
        logits = tf.cast(logits, tf.float32)
        ab = tf.cast(ab, tf.float32)
        stride = models.CLASS_STRIDE
        ab = tf.nn.avg_pool2d(ab, stride, stride, "VALID")
        target, nearest = ab_bins.soft_encode(ab, self.centres)
        ce = -tf.reduce_sum(target * tf.nn.log_softmax(logits, axis=-1), axis=-1)
        weight = tf.gather(tf.constant(self.class_weights), nearest)
        return tf.reduce_mean(weight * ce)

    def _discriminate(self, l_norm: tf.Tensor, ab: tf.Tensor, colorized_ab: tf.Tensor,
                      training: bool) -> tuple[tf.Tensor, tf.Tensor]:
        """Patch logits for real and colorized in ONE batch: BatchNorm then sees both together, so
        the discriminator cannot tell them apart by batch statistics (a known PatchGAN pitfall)."""
        both = self.discriminator(
            [tf.concat([l_norm, l_norm], 0),
             tf.concat([tf.cast(ab, colorized_ab.dtype), colorized_ab], 0)],
            training=training,
        )
        real_logits, colorized_logits = tf.split(both, 2, axis=0)
        return real_logits, colorized_logits

    def _forward(self, l_norm: tf.Tensor, ab: tf.Tensor, training: bool) -> tuple:
        """Losses of one batch: ``(d_loss, g_adv, g_l1, real_logits, colorized_logits, g_ce,
        g_chroma)`` (``g_ce`` is None for the L1 objective, ``g_chroma`` without
        ``chroma_lambda``)."""
        g_ce = None
        if self.objective == "classify":
            bin_logits, colorized_ab = self.generator_logits(l_norm, training=training)
            g_ce = self.class_loss(bin_logits, ab)
        else:
            colorized_ab = self.generator(l_norm, training=training)
        real_logits, colorized_logits = self._discriminate(l_norm, ab, colorized_ab, training)
        d_loss = 0.5 * (_bce(real_logits, 1.0) + _bce(colorized_logits, 0.0))
        g_adv = _bce(colorized_logits, 1.0)
        g_l1 = tf.reduce_mean(tf.abs(tf.cast(ab, tf.float32) - tf.cast(colorized_ab, tf.float32)))
        g_chroma = chroma_gap(colorized_ab, ab) if self.chroma_lambda else None
        return d_loss, g_adv, g_l1, real_logits, colorized_logits, g_ce, g_chroma

    def generator_loss(self, g_adv: tf.Tensor, g_l1: tf.Tensor,
                       g_ce: tf.Tensor | None = None,
                       g_chroma: tf.Tensor | None = None) -> tf.Tensor:
        """The generator's loss: the GAN term (scaled by the warm-up switch and
        ``adversarial_lambda``) plus the objective's colour term (and the chroma match)."""
        colour = self.ce_lambda * g_ce if g_ce is not None else self.l1_lambda * g_l1
        if g_chroma is not None:
            colour = colour + self.chroma_lambda * g_chroma
        return self.adversarial_weight * self.adversarial_lambda * g_adv + colour

    def train_step(self, data: Any) -> dict[str, tf.Tensor]:
        l_norm, ab = data
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            d_loss, g_adv, g_l1, real_logits, colorized_logits, g_ce, g_chroma = self._forward(
                l_norm, ab, True)
            g_loss = self.generator_loss(g_adv, g_l1, g_ce, g_chroma)
            g_scaled = self._scaled(g_loss, self.g_optimizer)
            d_scaled = self._scaled(d_loss, self.d_optimizer)
        # a frozen encoder (traced again when that changes) gets no gradient at all
        encoder = self._encoder()
        e_vars = self.e_variables if encoder is not None and encoder.trainable else []
        g_vars, d_vars = self.g_variables, self.discriminator.trainable_variables
        grads = g_tape.gradient(g_scaled, g_vars + e_vars)
        self.g_optimizer.apply_gradients(zip(grads[:len(g_vars)], g_vars))
        if e_vars:
            self.e_optimizer.apply_gradients(zip(grads[len(g_vars):], e_vars))
        self.d_optimizer.apply_gradients(zip(d_tape.gradient(d_scaled, d_vars), d_vars))
        return self._update(d_loss, g_adv, g_l1, real_logits, colorized_logits, g_ce, g_chroma)

    def test_step(self, data: Any) -> dict[str, tf.Tensor]:
        l_norm, ab = data
        return self._update(*self._forward(l_norm, ab, False))

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "generator": keras.saving.serialize_keras_object(self.generator),
            "discriminator": keras.saving.serialize_keras_object(self.discriminator),
            "l1_lambda": self.l1_lambda,
            "warmup_epochs": self.warmup_epochs,
            "objective": self.objective,
            "ce_lambda": self.ce_lambda,
            "adversarial_lambda": self.adversarial_lambda,
            "chroma_lambda": self.chroma_lambda,
            "class_weights": (self.class_weights.tolist()
                              if self.objective == "classify" else None),
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "ColorGAN":
        config = dict(config)
        config["generator"] = keras.saving.deserialize_keras_object(config["generator"])
        config["discriminator"] = keras.saving.deserialize_keras_object(config["discriminator"])
        return cls(**config)
