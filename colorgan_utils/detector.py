"""Independent real-vs-colorized detectors: a small CNN from scratch, and a small head on the
frozen ImageNet features of MobileNetV2 (the generator's encoder); Grad-CAM maps of the CNN's
verdicts.

Taught in notebook 05. At GAN equilibrium the GAN's own discriminator sits near chance by
construction, so the honest forensic question is whether a *fresh* classifier, trained on real
photos and our colorizations, can tell them apart on photos it has never seen. Both detectors
learn with a validation split of their own (whole photos), stop early and keep their best
epoch; :mod:`colorgan_utils.forensics` calibrates their threshold and puts intervals on them.
Label convention everywhere: **real = 1, colorized = 0**, and a score above the threshold means
"real".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import keras
import numpy as np
import tensorflow as tf
from keras import layers

REAL, COLORIZED = 1.0, 0.0


@dataclass(frozen=True)
class DetectorPlan:
    """The detectors' budget and files, in one place (notebook 05 and ``evaluate`` both train
    them from it; :func:`plan` builds it from the settings)."""

    photos: int = 1200  # train-split photos they learn from (3/4) and validate on (1/4)
    epochs: int = 20  # the small CNN, at most (it stops early on its validation AUC)
    patience: int = 5
    feature_epochs: int = 200  # the head on MobileNetV2 features: cheap epochs, stops early
    feature_patience: int = 15
    alpha: float = 0.5  # the feature detector's MobileNetV2 width
    weights: str | None = "imagenet"  # its ImageNet file's path, or None (random: smoke mode)
    features_skipped: str | None = None  # why the feature detector cannot be measured

    def describe(self) -> str:
        """One line for the log: what will be trained, for how long at most."""
        if not self.epochs:
            return "no detectors (detector epochs 0)"
        features = (f"a head on MobileNetV2 {self.alpha} features (at most "
                    f"{self.feature_epochs} epochs)" if not self.features_skipped
                    else "NOT the MobileNetV2-feature detector")
        return (f"detectors on {self.photos} train-split photos at most: a small CNN (at most "
                f"{self.epochs} epochs) and {features}, each stopping early")


def plan(cfg: Any, epochs: int | None = None, photos: int | None = None) -> DetectorPlan:
    """The :class:`DetectorPlan` for these settings: smoke mode trains 3 epochs on 32 photos
    at most; the feature detector uses the generator's MobileNetV2 width (0.5 for a scratch
    generator). Its ImageNet file is looked for **now**, before any work: not cached in smoke
    mode, it gets random weights (said); not to be had at all, the plan says why, and the
    feature detector is left out while everything else is measured."""
    from colorgan_utils.encoder import cached, weights_file
    from colorgan_utils.errors import EncoderWeightsError

    smoke = getattr(cfg, "preset", None) == "smoke"
    base = DetectorPlan()
    alpha = float(cfg.encoder_alpha) if getattr(cfg, "encoder", None) == "mobilenetv2" else 0.5
    epochs = (3 if smoke else base.epochs) if epochs is None else int(epochs)
    photos = (32 if smoke else base.photos) if photos is None else int(photos)
    weights: str | None = "imagenet"
    skipped = None
    if epochs and smoke and not cached(alpha):
        print(f"feature detector: MobileNetV2 {alpha} with RANDOM weights (smoke mode: its "
              "ImageNet file is not cached; nothing is downloaded)")
        weights = None
    elif epochs:
        try:
            weights = str(weights_file(alpha))
        except EncoderWeightsError as exc:
            skipped = str(exc)
            print(f"warning: the MobileNetV2-feature detector will not be measured: {exc}")
    return DetectorPlan(photos=photos, epochs=epochs, alpha=alpha, weights=weights,
                        features_skipped=skipped)


def labelled(real: np.ndarray, colorized: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(x, y)``: the real images (label 1) then the colorized ones (label 0)."""
    x = np.concatenate([real, colorized]).astype(np.float32)
    y = np.concatenate([np.full(len(real), REAL), np.full(len(colorized), COLORIZED)])
    return x, y.astype(np.float32)


def build_detector(image_size: int, width: int = 16, augment: bool = True,
                   name: str = "detector") -> keras.Model:
    """RGB ``[S, S, 3]`` in [0, 1] -> one logit (> 0: real). Random left-right flips while
    training (never colour changes: colour is the evidence; random shifts as well cost a third
    more training time on a CPU, research/README.md), three conv blocks, global pooling.

    The last conv block is named ``features`` (Grad-CAM reads it).
    """
    inp = keras.Input((image_size, image_size, 3), name="rgb")
    x = inp
    if augment:
        x = layers.RandomFlip("horizontal", name="flip")(x)
    x = layers.Rescaling(2.0, offset=-1.0)(x)
    for i, f in enumerate((width, width * 2, width * 4)):
        x = layers.Conv2D(f, 3, padding="same", use_bias=False, name=f"conv{i + 1}")(x)
        x = layers.BatchNormalization(name=f"bn{i + 1}")(x)
        x = layers.ReLU(name="features" if i == 2 else f"relu{i + 1}")(x)
        if i < 2:
            x = layers.MaxPooling2D(name=f"pool{i + 1}")(x)
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    out = layers.Dense(1, name="logit")(x)
    return keras.Model(inp, out, name=name)


def fit_detector(model: keras.Model, train: tuple[np.ndarray, np.ndarray],
                 val: tuple[np.ndarray, np.ndarray], epochs: int = 20, patience: int = 5,
                 batch_size: int = 64, learning_rate: float = 1e-3,
                 verbose: int = 0) -> dict[str, list[float]]:
    """Train a one-logit detector on ``train = (x, y)`` with early stopping on the validation
    AUC (``patience`` epochs), the best epoch's weights restored. Returns the Keras history
    (``auc``, ``val_auc``, ``loss``, ``val_loss`` per epoch) plus ``best_epoch`` (0-based)."""
    model.compile(optimizer=keras.optimizers.Adam(learning_rate),
                  loss=keras.losses.BinaryCrossentropy(from_logits=True),
                  metrics=[keras.metrics.AUC(from_logits=True, name="auc")])
    stop = keras.callbacks.EarlyStopping(monitor="val_auc", mode="max", patience=patience,
                                         restore_best_weights=True)
    history = model.fit(train[0], train[1], validation_data=val, epochs=epochs,
                        batch_size=batch_size, shuffle=True, callbacks=[stop], verbose=verbose)
    out = {k: [float(v) for v in vs] for k, vs in history.history.items()}
    out["best_epoch"] = int(np.argmax(out["val_auc"]))
    return out


def train_detector(real: np.ndarray, colorized: np.ndarray, val_real: np.ndarray,
                   val_colorized: np.ndarray, epochs: int = DetectorPlan.epochs,
                   patience: int = DetectorPlan.patience, batch_size: int = 64,
                   width: int = 16, seed: int = 0,
                   verbose: int = 0) -> tuple[keras.Model, dict[str, list[float]]]:
    """The small CNN (:func:`build_detector`) trained on real (1) and colorized (0) images,
    early-stopped on the validation images: ``(model, history)``."""
    keras.utils.set_random_seed(seed)
    model = build_detector(np.shape(real)[1], width)
    history = fit_detector(model, labelled(real, colorized), labelled(val_real, val_colorized),
                           epochs, patience, batch_size, verbose=verbose)
    return model, history


def feature_extractor(alpha: float = 0.5, weights: Any = "imagenet") -> keras.Model:
    """RGB in [0, 1] -> one vector per image: the mean and standard deviation over the image of
    each of MobileNetV2's feature maps at strides 2 to 32 (:data:`colorgan_utils.encoder.SKIPS`),
    ImageNet weights, frozen. Early maps describe colour and texture, late ones content."""
    from colorgan_utils.encoder import build_encoder

    encoder = build_encoder(alpha, weights, name="mobilenetv2")
    encoder.trainable = False
    inp = keras.Input((None, None, 3), name="rgb")
    maps = encoder(layers.Rescaling(2.0, offset=-1.0)(inp))
    stats = []
    for m in maps:
        mean = keras.ops.mean(m, axis=(1, 2))
        std = keras.ops.sqrt(keras.ops.maximum(
            keras.ops.mean(keras.ops.square(m), axis=(1, 2)) - keras.ops.square(mean), 0.0))
        stats += [mean, std]
    return keras.Model(inp, keras.ops.concatenate(stats, axis=-1), name="mobilenetv2_features")


def image_features(extractor: keras.Model, images: np.ndarray,
                   batch_size: int = 64) -> np.ndarray:
    """``extractor`` (:func:`feature_extractor`) over ``images``: ``[N, F]`` float32."""
    return np.asarray(extractor.predict(np.asarray(images, np.float32), batch_size=batch_size,
                                        verbose=0), np.float32)


def build_feature_head(train_features: np.ndarray, dropout: float = 0.3,
                       name: str = "feature_detector") -> keras.Model:
    """Features -> one logit: standardised (statistics of ``train_features``), dropout, one
    dense layer. A logistic regression on frozen ImageNet features."""
    norm = layers.Normalization(name="standardise")
    norm.adapt(np.asarray(train_features, np.float32))
    inp = keras.Input((np.shape(train_features)[1],), name="features")
    x = layers.Dropout(dropout)(norm(inp))
    out = layers.Dense(1, kernel_regularizer=keras.regularizers.L2(1e-3), name="logit")(x)
    return keras.Model(inp, out, name=name)


def train_feature_detector(real: np.ndarray, colorized: np.ndarray, val_real: np.ndarray,
                           val_colorized: np.ndarray, epochs: int = DetectorPlan.feature_epochs,
                           patience: int = DetectorPlan.feature_patience,
                           seed: int = 0,
                           verbose: int = 0) -> tuple[keras.Model, dict[str, list[float]]]:
    """:func:`build_feature_head` trained on feature vectors of real (1) and colorized (0)
    images, early-stopped on the validation vectors: ``(model, history)``."""
    keras.utils.set_random_seed(seed)
    x, y = labelled(real, colorized)
    model = build_feature_head(x)
    history = fit_detector(model, (x, y), labelled(val_real, val_colorized), epochs, patience,
                           batch_size=128, learning_rate=3e-3, verbose=verbose)
    return model, history


def detector_scores(model: keras.Model, inputs: np.ndarray, batch_size: int = 128) -> np.ndarray:
    """P(real) for each image (or feature vector)."""
    logits = model.predict(np.asarray(inputs, np.float32), batch_size=batch_size, verbose=0)
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
