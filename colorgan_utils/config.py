"""Settings for every notebook, the CLI and the tests: one dataclass and named presets.

Taught in notebook 01 (``01_data_preparation.ipynb``); every later notebook starts with
``cfg = get_config()``.

Environment overrides (parsed strictly, so ``"0"`` means off):

* ``COLORGAN_SMOKE``: ``1``/``true``/``yes``/``on`` selects the ``smoke`` preset (tests, seconds);
  ``0``/``false``/``no``/``off`` or unset leaves the preset alone. Anything else is an error.
* ``COLORGAN_DATA_DIR``: a folder in the Stanford Dogs layout (``Images/<wnid>-<Breed>/*.jpg``).
* ``COLORGAN_PRESET``: ``smoke``, ``cpu`` or ``colab`` (``COLORGAN_SMOKE=1`` wins).
"""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass
from typing import Any, Mapping

# colorizing a whole photo (``colorize``, the slider): the shorter side the generator sees, in
# px; the colour is then laid on the photo's own full-size lightness
RENDER_SIZE = 256

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


@dataclass(frozen=True)
class Config:
    """Every setting of a ColorGAN run. Build one with :func:`get_config`."""

    preset: str = "cpu"
    data_dir: str | None = None
    image_size: int = 64  # side of the square the networks see, in px
    batch_size: int = 32
    epochs: int = 8
    max_images: int | None = None  # cap on images used (after scanning); None = all
    val_fraction: float = 0.1
    test_fraction: float = 0.1
    min_side: int | None = None  # smallest usable shorter side; None = image_size
    bw_mean_chroma: float = 2.5  # RGB photos below both limits count as black-and-white
    bw_p99_chroma: float = 10.0
    shuffle_buffer: int = 1024
    seed: int = 42
    # models
    # generator encoder: "mobilenetv2" (ImageNet-pretrained, notebook 02) or "scratch" (U-Net)
    encoder: str = "scratch"
    encoder_alpha: float = 0.35  # MobileNetV2 width: 0.35, 0.5 or 1.0
    encoder_weights: str | None = "imagenet"  # None: random (smoke runs without the file)
    encoder_frozen_epochs: int = 0  # epochs with the encoder frozen (-1: frozen throughout)
    encoder_lr_mult: float = 0.1  # the encoder's learning rate when fine-tuned, x learning_rate
    generator_width: int = 32  # filters of the first U-Net level (pix2pix: 64)
    generator_max_mult: int = 4  # widest level = width * max_mult (pix2pix: 8)
    discriminator_width: int = 24  # filters of the first PatchGAN conv (pix2pix: 64)
    # "batch" (pix2pix), "spectral" or "instance": see models.build_discriminator
    discriminator_norm: str = "batch"
    # training
    learning_rate: float = 2e-4
    beta_1: float = 0.5
    l1_lambda: float = 100.0  # weight of the colour term (pix2pix: 100); the GAN term's is 1
    warmup_epochs: int = 0
    # after the warm-up the colour term's weight goes from l1_lambda to this, geometrically
    # step by step over the remaining epochs (None: it stays l1_lambda)
    l1_lambda_end: float | None = None
    gan_loss: str = "bce"  # the adversarial loss: "bce" (pix2pix), "hinge" or "lsgan"
    # share of the discriminator's fakes that are real colours on another photo (Reed et al.)
    mismatch_weight: float = 0.0
    # which generator a run keeps as "best": "val_g_l1" (lowest validation L1 after the
    # warm-up) or "last" (the last epoch's averaged generator, so that selection cannot undo
    # what the GAN term did)
    keep: str = "val_g_l1"
    # a generator file (.keras or .npz) whose weights start a new run (e.g. an L1-pretrained
    # one), or "shipped:l1" / "shipped:gan" (the package's own); the discriminator starts fresh
    init_generator: str | None = None
    # > 0: the generator's weights are also averaged step by step (EMA, Keras' use_ema); the
    # average is what is validated, kept as "best" and shipped (training goes on from its own)
    ema_momentum: float = 0.0
    lr_schedule: str = "constant"  # "cosine": both learning rates decay to 0 over the epochs
    steps_per_epoch: int | None = None
    # colour hints (notebook 07): the generator takes a hint map and mask beside L, and
    # training simulates hints (colorgan_utils.hints.Sampling): after each point another with
    # probability 1 - hint_stop (so hint_stop of the photos get none), at most hint_max_points,
    # each a square of 1 .. hint_max_patch px carrying its patch's mean true colour
    hints: bool = False
    hint_stop: float = 0.125
    hint_max_points: int = 24
    hint_max_patch: int = 5
    hint_gain: float = 1.0  # the hint colours' scale inside the network (models.SplitHints)
    hint_spread: bool = False  # also spread each hint along similar lightness (models.HintSpread)
    mixed_precision: bool = False
    jit_compile: bool = False
    max_minutes: float | None = None  # stop after the epoch that passes this wall time

    @property
    def load_size(self) -> int:
        """Side of the cached square the training crops are taken from (12.5% margin)."""
        return self.image_size + self.image_size // 8

    @property
    def min_image_side(self) -> int:
        """Shorter side below which a photo is rejected as too small to crop."""
        return self.min_side if self.min_side is not None else self.image_size

    def replace(self, **changes: Any) -> "Config":
        """Return a copy with some settings changed (unknown names raise ``TypeError``)."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """All settings as a JSON-ready dict (saved next to every run)."""
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)


# the GAN of every preset, chosen by measurement (research/README.md, "The GAN"): a spectrally
# normalised PatchGAN (its verdict the same in training and inference), a quarter of its fakes
# mismatched pairs (it must check that colours fit), the last epoch's averaged generator kept
GAN: dict[str, Any] = dict(discriminator_norm="spectral", mismatch_weight=0.25, keep="last")

PRESETS: dict[str, Config] = {
    # seconds on the 32-photo test subset
    "smoke": Config(
        preset="smoke", image_size=32, batch_size=8, epochs=2, max_images=64,
        val_fraction=0.125, test_fraction=0.125, shuffle_buffer=64,
        generator_width=8, discriminator_width=8, min_side=32,
        # the real architecture: the pretrained encoder, frozen for the first of the 2 epochs,
        # and the GAN's discriminator and selection (below)
        encoder="mobilenetv2", encoder_frozen_epochs=1, **GAN,
    ),
    # a real short run on 2 CPU cores (9 min on stanford-dogs-small, measured): the generator on the
    # ImageNet-pretrained MobileNetV2 (alpha 0.5), frozen for 2 epochs then fine-tuned at 1/10
    # of the learning rate; 3 L1-only epochs ("NoGAN"), then 2 of 100 x L1 + GAN; averaged
    # generator, cosine schedule; the last epoch kept. The GAN ablation's chosen variant d
    # (research/README.md), in one run instead of its two stages
    "cpu": Config(preset="cpu", image_size=128, batch_size=32, epochs=5, warmup_epochs=3,
                  l1_lambda=100.0, ema_momentum=0.99, lr_schedule="cosine",
                  encoder="mobilenetv2", encoder_alpha=0.5, encoder_frozen_epochs=2,
                  encoder_lr_mult=0.1, **GAN),
    # your own run on any CPU in about 8 minutes (notebook 04): the adversarial stage alone, 2
    # epochs from the shipped L1-only generator (the GAN ablation's shared pretraining), with
    # the L1 pull lowered from 100 to 10 over the run and a hinge loss: the ablation's variant
    # g, which adds colour you can see in 2 epochs (and paints more blotches: not shipped)
    "short": Config(preset="short", image_size=128, batch_size=32, epochs=2, warmup_epochs=0,
                    l1_lambda=100.0, l1_lambda_end=10.0, gan_loss="hinge", ema_momentum=0.99,
                    lr_schedule="cosine", encoder="mobilenetv2", encoder_alpha=0.5,
                    encoder_frozen_epochs=0, encoder_lr_mult=0.1, init_generator="shipped:l1",
                    **{**GAN, "keep": "last"}),
    # the hinted generator (notebook 07): the shipped generator extended with a zero-started
    # hint branch (hint colours x 5, each hint also spread along similar lightness behind a
    # gate learned from 0: research/README.md, "Colour hints"), fine-tuned with simulated hints
    # for 5 epochs, the cpu preset's budget; the same GAN terms as shipped
    "hints": Config(preset="hints", image_size=128, batch_size=32, epochs=5, warmup_epochs=0,
                    l1_lambda=100.0, ema_momentum=0.99, lr_schedule="cosine",
                    encoder="mobilenetv2", encoder_alpha=0.5, encoder_frozen_epochs=0,
                    encoder_lr_mult=0.1, init_generator="shipped:gan", hints=True,
                    hint_gain=5.0, hint_spread=True, **GAN),
    # the full dataset on a Colab GPU (the same recipe, longer; not measured on Colab)
    "colab": Config(
        preset="colab", image_size=128, batch_size=64, epochs=30,
        generator_width=48, discriminator_width=32, warmup_epochs=5,
        l1_lambda=100.0, ema_momentum=0.999, lr_schedule="cosine",
        encoder="mobilenetv2", encoder_alpha=0.5, encoder_frozen_epochs=5, encoder_lr_mult=0.1,
        mixed_precision=True, jit_compile=True, **GAN,
    ),
}


def parse_bool(value: str | None, name: str = "value") -> bool:
    """Parse an environment flag strictly: ``1/true/yes/on`` or ``0/false/no/off/unset``."""
    if value is None:
        return False
    v = value.strip().lower()
    if v in _TRUE:
        return True
    if v in _FALSE:
        return False
    raise ValueError(
        f"{name}={value!r} is not a boolean: use 1/true/yes/on or 0/false/no/off"
    )


def is_smoke(environ: Mapping[str, str] | None = None) -> bool:
    """True when ``COLORGAN_SMOKE`` asks for the smoke preset."""
    env = os.environ if environ is None else environ
    return parse_bool(env.get("COLORGAN_SMOKE"), "COLORGAN_SMOKE")


def get_config(
    preset: str | None = None,
    environ: Mapping[str, str] | None = None,
    **overrides: Any,
) -> Config:
    """The settings to use: a preset, then environment overrides, then keyword overrides.

    ``preset=None`` picks ``smoke`` when ``COLORGAN_SMOKE`` is on, else ``COLORGAN_PRESET``,
    else ``cpu``.
    """
    env = os.environ if environ is None else environ
    if is_smoke(env):
        name = "smoke"
    else:
        name = preset or env.get("COLORGAN_PRESET") or "cpu"
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}: choose one of {', '.join(PRESETS)}")
    cfg = PRESETS[name]
    data_dir = env.get("COLORGAN_DATA_DIR")
    if data_dir:
        cfg = cfg.replace(data_dir=os.path.expanduser(data_dir))
    if overrides:
        cfg = cfg.replace(**{k: v for k, v in overrides.items() if v is not None})
    if cfg.encoder not in ("scratch", "mobilenetv2"):
        raise ValueError(f"encoder={cfg.encoder!r}: use 'mobilenetv2' or 'scratch'")
    choices = {"discriminator_norm": ("batch", "spectral", "instance"),
               "gan_loss": ("bce", "hinge", "lsgan"), "keep": ("val_g_l1", "last")}
    for key, allowed in choices.items():
        if getattr(cfg, key) not in allowed:
            raise ValueError(f"{key}={getattr(cfg, key)!r}: use one of {', '.join(allowed)}")
    if not 0.0 <= cfg.mismatch_weight <= 1.0:
        raise ValueError(f"mismatch_weight={cfg.mismatch_weight}: use a share in [0, 1]")
    if cfg.l1_lambda_end is not None and not 0 < cfg.l1_lambda_end <= cfg.l1_lambda:
        raise ValueError(f"l1_lambda_end={cfg.l1_lambda_end}: use a weight in (0, l1_lambda="
                         f"{cfg.l1_lambda}], or None to keep l1_lambda")
    if cfg.image_size < 32 or cfg.image_size & (cfg.image_size - 1):
        raise ValueError(f"image_size={cfg.image_size}: use a power of two >= 32")
    return cfg
