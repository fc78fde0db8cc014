"""The ImageNet-pretrained encoder: Keras' MobileNetV2 without its classifier, and its weights.

Taught in notebook 02 (``02_generator.ipynb``, "Transfer learning"). The weights are the official
``keras.applications`` no-top files, fetched by name with :func:`keras.utils.get_file` (cached in
``$KERAS_HOME/models/``, default ``~/.keras/models/``, sha256 checked). A copy placed in that
cache makes the same code work offline; without one and without a network
:func:`weights_file` raises one :class:`~colorgan_utils.errors.EncoderWeightsError` line that
names the file, where to put it and where it comes from.

The ``_224`` files load into an encoder of any input size: the weights of a convolutional net
do not depend on it (``weights="imagenet"`` at 128 px would ask Keras for another file).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

from colorgan_utils.errors import EncoderWeightsError

ORIGIN = "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet_v2/"
# alpha -> (official file name, sha256). alpha 1.0's hash was not available offline: its file is
# fetched unchecked (say so), the others are refused unless their sha256 matches.
WEIGHTS: dict[float, tuple[str, str | None]] = {
    0.35: ("mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_224_no_top.h5",
           "df1c3db1d0d9193719c4c70f707c56f7021f999f825bdc57454c275cf6def19f"),
    0.5: ("mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.5_224_no_top.h5",
          "279052de2cfa801003aa6cc25cc4d007d35dd0b76f06935268c79788b7642d05"),
    1.0: ("mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5", None),
}
# the feature maps the U-Net's skips take, at strides 2, 4, 8, 16 and 32 of the input
SKIPS = ("block_1_expand_relu", "block_3_expand_relu", "block_6_expand_relu",
         "block_13_expand_relu", "block_16_project")
LICENCE = ("MobileNetV2 ImageNet weights: Keras applications, Apache License 2.0 (converted from "
           "the TensorFlow checkpoints in tensorflow/models).")


def keras_cache() -> Path:
    """The folder Keras caches downloaded weights in: ``$KERAS_HOME/models`` (default
    ``~/.keras/models``)."""
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return Path(home) / "models"


def _entry(alpha: float) -> tuple[str, str | None]:
    try:
        return WEIGHTS[float(alpha)]
    except KeyError:
        raise EncoderWeightsError(f"encoder_alpha={alpha}: use one of "
                                  f"{', '.join(str(a) for a in WEIGHTS)}") from None


def sha256(path: str | os.PathLike) -> str:
    """The sha256 of a file, in hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def weights_file(alpha: float = 0.35, origin: str | None = None) -> Path:
    """The path of MobileNetV2's ImageNet no-top weights for ``alpha``: from Keras' cache, else
    downloaded from the official address (``origin`` overrides it, e.g. a ``file://`` copy).

    A cached file whose sha256 is not the official one is refused by name (never silently
    replaced); a failed download raises one line saying what to do.
    """
    import keras

    fname, digest = _entry(alpha)
    cached = keras_cache() / fname
    if cached.is_file() and digest and sha256(cached) != digest:
        raise EncoderWeightsError(
            f"{cached} is not the official {fname} (its sha256 differs): delete it, then run "
            f"again to fetch {ORIGIN}{fname}, or put the right file there")
    if cached.is_file():
        return cached
    url = origin or ORIGIN + fname
    try:
        # Keras falls back to /tmp/.keras for a cache folder that does not exist yet
        keras_cache().mkdir(parents=True, exist_ok=True)
        path = keras.utils.get_file(fname, origin=url, cache_subdir="models",
                                    cache_dir=str(keras_cache().parent), file_hash=digest,
                                    hash_algorithm="sha256")
    except Exception as exc:  # noqa: BLE001  (urllib, OSError, Keras' own "URL fetch failure")
        if cached.is_file() and digest and sha256(cached) != digest:
            cached.unlink()  # a corrupt download is not a result
        why = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise EncoderWeightsError(
            f"cannot get the encoder weights {fname} ({why}). Put the file in {keras_cache()} "
            f"(or set KERAS_HOME to a folder holding models/{fname}); it comes from "
            f"{ORIGIN}{fname}") from None
    return Path(path)


def build_encoder(alpha: float = 0.35, weights: str | os.PathLike | None = "imagenet",
                  name: str = "encoder") -> Any:
    """MobileNetV2 (no classifier) on RGB in [-1, 1] of any size (multiples of 32), returning
    its :data:`SKIPS` feature maps (strides 2 to 32). ``weights``: ``"imagenet"`` (the
    official file, :func:`weights_file`), a path to that file, or ``None`` (random)."""
    import keras

    _entry(alpha)
    base = keras.applications.MobileNetV2(input_shape=(None, None, 3), alpha=alpha,
                                          include_top=False, weights=None)
    if weights is not None:
        path = weights_file(alpha) if weights == "imagenet" else Path(weights)
        try:
            base.load_weights(str(path))
        except (OSError, ValueError) as exc:
            raise EncoderWeightsError(f"{path} does not hold MobileNetV2 alpha {alpha} "
                                      f"no-top weights: {exc}") from None
    encoder = keras.Model(base.input, [base.get_layer(n).output for n in SKIPS], name=name)
    _keep_imagenet_statistics(encoder)
    return encoder


def _keep_imagenet_statistics(encoder: Any) -> None:
    """BatchNorm of the encoder always in inference mode with ImageNet's statistics (a
    non-trainable BatchNormalization is, in Keras), also while the rest is fine-tuned: batch
    statistics of L would shift them (Keras' transfer-learning guide). ``training=False`` at
    the call would not do: a functional model passes its own ``training`` down."""
    import keras

    for layer in encoder.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.trainable = False


def set_frozen(generator: Any, frozen: bool) -> bool:
    """Freeze (or unfreeze) the pretrained encoder inside ``generator``; its BatchNorm stays
    frozen in inference mode either way.
    Returns whether the generator has such an encoder."""
    for layer in generator.layers:
        if layer.name == "encoder":
            layer.trainable = not frozen  # Keras sets every sub-layer: BatchNorm too
            _keep_imagenet_statistics(layer)
            return True
    return False


def cached(alpha: float) -> bool:
    """Whether the official file for ``alpha`` is already in Keras' cache (nothing fetched)."""
    return (keras_cache() / _entry(alpha)[0]).is_file()


def resolve_weights(cfg: Any) -> Any:
    """The settings a notebook builds with (notebooks 02 and 04). A pretrained encoder whose
    file is not cached is fetched when the model is built (on Colab: from the official
    address); in smoke mode (the tests, offline) it gets random weights instead, said in one
    line, so the real architecture still runs."""
    if getattr(cfg, "encoder", "scratch") != "mobilenetv2" or cfg.encoder_weights != "imagenet":
        return cfg
    if cached(cfg.encoder_alpha):
        print(f"encoder: MobileNetV2 alpha {cfg.encoder_alpha}, ImageNet weights "
              f"({keras_cache() / _entry(cfg.encoder_alpha)[0]})")
        return cfg
    if cfg.preset == "smoke":
        print(f"encoder: MobileNetV2 alpha {cfg.encoder_alpha} with RANDOM weights (smoke mode: "
              f"{_entry(cfg.encoder_alpha)[0]} is not in {keras_cache()}; nothing is downloaded)")
        return cfg.replace(encoder_weights=None)
    print(f"encoder: MobileNetV2 alpha {cfg.encoder_alpha}, ImageNet weights, fetched once from "
          f"{ORIGIN} into {keras_cache()}")
    return cfg
