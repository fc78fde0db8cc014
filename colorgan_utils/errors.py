"""The error types the CLI turns into one-line messages (exit status 2). Importing this module
loads nothing heavy (no TensorFlow), so ``scan`` and ``--help`` start fast.

Every message names the file or setting at fault and says what to do.
"""

from __future__ import annotations


class ColorGANError(RuntimeError):
    """Base class: bad input or a state the user can fix; the message says how."""


class DataError(ColorGANError):
    """A data folder or photo problem (missing folder, nothing usable, unreadable file)."""


class TrainingError(ColorGANError):
    """Training cannot go on: the message says why, and what to do."""


class RunError(ColorGANError):
    """A run folder problem: locked by another process, damaged or missing files."""


class PhotoError(DataError, ValueError):
    """A photo that cannot be read (too large, a decompression bomb); the message names the
    file and says why."""


class EncoderWeightsError(ColorGANError):
    """The pretrained encoder's weight file cannot be had: the message names the file, where to
    put it and where it comes from."""
