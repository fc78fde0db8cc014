"""Command line: ``python -m colorgan_utils {scan,train} ...``.

``scan`` is notebook 01's report; ``train`` is notebook 04's training, resumable.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Sequence

from colorgan_utils.callbacks import TrainingError
from colorgan_utils.config import get_config
from colorgan_utils.data import DataError, scan_folder


def _scan(args: argparse.Namespace) -> int:
    cfg = get_config(args.preset, image_size=args.image_size)
    report = scan_folder(args.dir, cfg, min_side=args.min_side, verbose=args.progress)
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        print(report.format())
    if not report.good:
        print(f"error: {args.dir} holds no colour photos usable for training", file=sys.stderr)
        return 2
    return 0


def _train(args: argparse.Namespace) -> int:
    from colorgan_utils.data import download_stanford_dogs
    from colorgan_utils.training import train

    cfg = get_config(args.preset, image_size=args.image_size, batch_size=args.batch_size)
    data = args.data or cfg.data_dir
    if not data:
        print("No --data and no COLORGAN_DATA_DIR: using the official Stanford Dogs download "
              "(cached after the first time).")
        data = str(download_stanford_dogs())
    cfg = cfg.replace(data_dir=str(data))
    result = train(cfg, args.out, data, epochs=args.epochs, verbose=args.verbose)
    if not result.already_finished:
        last = result.history[-1] if result.history else {}
        print(f"Done: {result.epochs_done} epochs in {result.run_dir}; last val L1 on ab "
              f"{last.get('val_g_l1', float('nan')):.4f}; generator: "
              f"{result.run_dir / 'generator_best.keras'}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m colorgan_utils",
        description="ColorGAN: colorize Stanford Dogs photos with a GAN, and detect the fakes.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    scan = sub.add_parser("scan", help="check every image of a data folder and report problems")
    scan.add_argument("dir", help="a folder in the Stanford Dogs layout (Images/<wnid>-<Breed>/)")
    scan.add_argument("--json", action="store_true", help="print the report as JSON")
    scan.add_argument("--preset", choices=["smoke", "cpu", "colab"], default=None,
                      help="settings preset (its image size sets the smallest usable photo)")
    scan.add_argument("--image-size", type=int, default=None, help="training image size in px")
    scan.add_argument("--min-side", type=int, default=None,
                      help="reject photos whose shorter side is below this (default: image size)")
    scan.add_argument("--progress", action="store_true", help="show a progress bar on stderr")
    scan.set_defaults(func=_scan)

    tr = sub.add_parser("train", help="train (or resume) a ColorGAN run into a folder")
    tr.add_argument("--data", help="dataset folder (default: COLORGAN_DATA_DIR, else download)")
    tr.add_argument("--out", required=True, help="run folder; run again to resume it")
    tr.add_argument("--preset", choices=["smoke", "cpu", "colab"], default=None)
    tr.add_argument("--epochs", type=int, default=None)
    tr.add_argument("--image-size", type=int, default=None)
    tr.add_argument("--batch-size", type=int, default=None)
    tr.add_argument("--verbose", type=int, default=2, choices=[0, 1, 2],
                    help="Keras progress: 1 = bar, 2 = one line per epoch (default)")
    tr.set_defaults(func=_train)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit status (bad input: a one-line message, status 2)."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("interrupted: run the same command again to resume after the last epoch",
              file=sys.stderr)
        return 130
    except (DataError, TrainingError, ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
