"""An independent real-vs-colorized detector: a small CNN, and Grad-CAM maps of its verdicts.

Taught in notebook 05. At GAN equilibrium the GAN's own discriminator sits near chance by
construction, so the honest forensic question is whether a *fresh* classifier, trained on real
photos and our colorizations, can tell them apart on photos it has never seen.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf
from keras import layers


def build_detector(image_size: int, width: int = 16, name: str = "detector") -> keras.Model:
    """RGB ``[S, S, 3]`` in [0, 1] -> one logit (> 0: real). Three conv blocks, global pooling.

    The last conv block is named ``features`` (Grad-CAM reads it).
    """
    inp = keras.Input((image_size, image_size, 3), name="rgb")
    x = layers.Rescaling(2.0, offset=-1.0)(inp)
    for i, f in enumerate((width, width * 2, width * 4)):
        x = layers.Conv2D(f, 3, padding="same", use_bias=False, name=f"conv{i + 1}")(x)
        x = layers.BatchNormalization(name=f"bn{i + 1}")(x)
        x = layers.ReLU(name="features" if i == 2 else f"relu{i + 1}")(x)
        if i < 2:
            x = layers.MaxPooling2D(name=f"pool{i + 1}")(x)
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    out = layers.Dense(1, name="logit")(x)
    return keras.Model(inp, out, name=name)


def train_detector(real: np.ndarray, colorized: np.ndarray, epochs: int = 5, batch_size: int = 64,
                   width: int = 16, seed: int = 0, verbose: int = 0) -> keras.Model:
    """Train :func:`build_detector` on real (label 1) and colorized (label 0) images."""
    keras.utils.set_random_seed(seed)
    x = np.concatenate([real, colorized]).astype(np.float32)
    y = np.concatenate([np.ones(len(real)), np.zeros(len(colorized))]).astype(np.float32)
    model = build_detector(x.shape[1], width)
    model.compile(optimizer=keras.optimizers.Adam(1e-3),
                  loss=keras.losses.BinaryCrossentropy(from_logits=True),
                  metrics=[keras.metrics.BinaryAccuracy(threshold=0.0, name="accuracy")])
    model.fit(x, y, epochs=epochs, batch_size=batch_size, shuffle=True, verbose=verbose)
    return model


def detector_scores(model: keras.Model, images: np.ndarray, batch_size: int = 128) -> np.ndarray:
    """P(real) for each image."""
    logits = model.predict(np.asarray(images, np.float32), batch_size=batch_size, verbose=0)
    return 1.0 / (1.0 + np.exp(-logits[:, 0].astype(np.float64)))


def grad_cam(model: keras.Model, images: np.ndarray, layer: str = "features") -> np.ndarray:
    """Grad-CAM maps ``[N, S, S]`` in [0, 1]: where the evidence for the detector's verdict lies
    (for "real" when it says real, for "colorized" when it says colorized)."""
    feat_model = keras.Model(model.inputs, [model.get_layer(layer).output, model.output])
    x = tf.convert_to_tensor(np.asarray(images, np.float32))
    with tf.GradientTape() as tape:
        feats, logits = feat_model(x, training=False)
        verdict = tf.where(logits > 0, logits, -logits)  # the score of the chosen class
    grads = tape.gradient(verdict, feats)
    weights = tf.reduce_mean(grads, axis=(1, 2), keepdims=True)
    cam = tf.nn.relu(tf.reduce_sum(weights * feats, axis=-1))
    cam = tf.image.resize(cam[..., None], x.shape[1:3])[..., 0]
    peak = tf.reduce_max(cam, axis=(1, 2), keepdims=True)
    return (cam / tf.maximum(peak, 1e-12)).numpy()
