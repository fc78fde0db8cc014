"""ColorGAN: the generator and the discriminator trained against each other with ``fit()``.

Taught in notebook 04 (``04_adversarial_training.ipynb``). Losses (pix2pix):

* discriminator: ``d_loss = (BCE(real patches, 1) + BCE(fake patches, 0)) / 2`` — about
  ``log 2 = 0.693`` when it cannot tell them apart;
* generator: ``g_loss = g_adv_loss + l1_lambda * g_l1`` with ``g_adv_loss = BCE(fake patches, 1)``
  and ``g_l1`` the mean absolute error on ab. During the first ``warmup_epochs`` the generator
  learns from L1 alone (the discriminator already trains).
"""

from __future__ import annotations

from typing import Any

import keras
import tensorflow as tf


def _bce(logits: tf.Tensor, target: float) -> tf.Tensor:
    """Mean sigmoid cross-entropy of logits against a constant label, in float32."""
    logits = tf.cast(logits, tf.float32)
    labels = tf.fill(tf.shape(logits), target)
    return tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits))


@keras.saving.register_keras_serializable(package="colorgan")
class ColorGAN(keras.Model):
    """Holds ``generator`` (L -> ab) and ``discriminator`` ((L, ab) -> patch logits).

    ``fit()`` on a dataset of ``(L, ab)`` batches logs per epoch: ``d_loss``, ``g_adv_loss``,
    ``g_l1``, ``d_real_acc`` and ``d_fake_acc`` (per-patch accuracy at logit 0, i.e. P = 0.5),
    and the same with ``val_`` on validation data.
    """

    METRICS = ("d_loss", "g_adv_loss", "g_l1", "d_real_acc", "d_fake_acc")

    def __init__(self, generator: keras.Model, discriminator: keras.Model,
                 l1_lambda: float = 100.0, warmup_epochs: int = 0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.generator = generator
        self.discriminator = discriminator
        self.l1_lambda = float(l1_lambda)
        self.warmup_epochs = int(warmup_epochs)
        # 0.0 during the L1-only warm-up, 1.0 after; set per epoch by AdversarialSwitch
        self.adversarial_weight = tf.Variable(1.0 if warmup_epochs == 0 else 0.0,
                                              trainable=False, dtype=tf.float32,
                                              name="adversarial_weight")
        self.trackers = {name: keras.metrics.Mean(name=name) for name in self.METRICS}
        self.built = True

    def call(self, l_norm: tf.Tensor, training: bool = False) -> tf.Tensor:
        return self.generator(l_norm, training=training)

    def compile(self, g_optimizer: keras.optimizers.Optimizer,
                d_optimizer: keras.optimizers.Optimizer, jit_compile: bool | str = False,
                **kwargs: Any) -> None:
        """Two optimizers; with a ``mixed_float16`` policy both get dynamic loss scaling."""
        super().compile(optimizer=None, jit_compile=jit_compile, **kwargs)
        if keras.mixed_precision.global_policy().name == "mixed_float16":
            if not isinstance(g_optimizer, keras.optimizers.LossScaleOptimizer):
                g_optimizer = keras.optimizers.LossScaleOptimizer(g_optimizer)
            if not isinstance(d_optimizer, keras.optimizers.LossScaleOptimizer):
                d_optimizer = keras.optimizers.LossScaleOptimizer(d_optimizer)
        self.g_optimizer = g_optimizer
        self.d_optimizer = d_optimizer
        # build now, so a BackupAndRestore checkpoint can restore their state before step 1
        g_optimizer.build(self.generator.trainable_variables)
        d_optimizer.build(self.discriminator.trainable_variables)

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

    def _update(self, d_loss, g_adv, g_l1, real_logits, fake_logits) -> dict[str, tf.Tensor]:
        real_logits = tf.cast(real_logits, tf.float32)
        fake_logits = tf.cast(fake_logits, tf.float32)
        self.trackers["d_loss"].update_state(d_loss)
        self.trackers["g_adv_loss"].update_state(g_adv)
        self.trackers["g_l1"].update_state(g_l1)
        self.trackers["d_real_acc"].update_state(tf.cast(real_logits > 0, tf.float32))
        self.trackers["d_fake_acc"].update_state(tf.cast(fake_logits <= 0, tf.float32))
        return {name: m.result() for name, m in self.trackers.items()}

    def _discriminate(self, l_norm: tf.Tensor, ab: tf.Tensor, fake_ab: tf.Tensor,
                      training: bool) -> tuple[tf.Tensor, tf.Tensor]:
        """Patch logits for real and fake in ONE batch: BatchNorm then sees both together, so
        the critic cannot tell them apart by batch statistics (a known PatchGAN pitfall)."""
        both = self.discriminator(
            [tf.concat([l_norm, l_norm], 0), tf.concat([tf.cast(ab, fake_ab.dtype), fake_ab], 0)],
            training=training,
        )
        real_logits, fake_logits = tf.split(both, 2, axis=0)
        return real_logits, fake_logits

    def _forward(self, l_norm: tf.Tensor, ab: tf.Tensor, training: bool) -> tuple:
        fake_ab = self.generator(l_norm, training=training)
        real_logits, fake_logits = self._discriminate(l_norm, ab, fake_ab, training)
        d_loss = 0.5 * (_bce(real_logits, 1.0) + _bce(fake_logits, 0.0))
        g_adv = _bce(fake_logits, 1.0)
        g_l1 = tf.reduce_mean(tf.abs(tf.cast(ab, tf.float32) - tf.cast(fake_ab, tf.float32)))
        return d_loss, g_adv, g_l1, real_logits, fake_logits

    def train_step(self, data: Any) -> dict[str, tf.Tensor]:
        l_norm, ab = data
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            d_loss, g_adv, g_l1, real_logits, fake_logits = self._forward(l_norm, ab, True)
            g_loss = self.adversarial_weight * g_adv + self.l1_lambda * g_l1
            g_scaled = self._scaled(g_loss, self.g_optimizer)
            d_scaled = self._scaled(d_loss, self.d_optimizer)
        g_vars = self.generator.trainable_variables
        d_vars = self.discriminator.trainable_variables
        self.g_optimizer.apply_gradients(zip(g_tape.gradient(g_scaled, g_vars), g_vars))
        self.d_optimizer.apply_gradients(zip(d_tape.gradient(d_scaled, d_vars), d_vars))
        return self._update(d_loss, g_adv, g_l1, real_logits, fake_logits)

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
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "ColorGAN":
        config = dict(config)
        config["generator"] = keras.saving.deserialize_keras_object(config["generator"])
        config["discriminator"] = keras.saving.deserialize_keras_object(config["discriminator"])
        return cls(**config)
