"""Command line: ``python -m colorgan_utils scan DIR [--json]``.

Notebook 01 shows the same report; later notebooks add ``train``, ``evaluate`` and ``colorize``.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Sequence

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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit status (bad input: a one-line message, status 2)."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (DataError, ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
