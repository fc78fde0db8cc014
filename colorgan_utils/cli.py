"""Command line: ``python -m colorgan_utils {scan,train,evaluate,colorize} ...``.

Exit status: 0 done; 1 ``colorize`` skipped some inputs (the others were written); 2 a usage
error or bad input (a one-line message).

``scan`` is notebook 01's report; ``train`` notebook 04's resumable training; ``evaluate`` and
``colorize`` are notebook 05's measurements and your-photo colorization.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from pathlib import Path
from typing import Sequence

from colorgan_utils.config import PRESETS, RENDER_SIZE, get_config, is_smoke
from colorgan_utils.errors import ColorGANError
from colorgan_utils.hints import (Hint, HintError, check_for_photo, parse_hint,  # numpy only
                                  read_hints)


def _scan(args: argparse.Namespace) -> int:
    from colorgan_utils.data import scan_folder

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


def _say_smoke_wins(preset: str | None) -> None:
    """``COLORGAN_SMOKE=1`` selects the smoke preset over ``--preset``: say so, once."""
    if preset and preset != "smoke" and is_smoke():
        print(f"note: COLORGAN_SMOKE is on, so the smoke preset is used, not --preset {preset} "
              "(unset COLORGAN_SMOKE to use it)", file=sys.stderr)


def _train(args: argparse.Namespace) -> int:
    from colorgan_utils import runs

    runs.check_unlocked(args.out)  # a locked run is refused before TensorFlow starts
    _say_smoke_wins(args.preset)
    from colorgan_utils.data import locate
    from colorgan_utils.training import train

    cfg = get_config(args.preset, image_size=args.image_size, batch_size=args.batch_size,
                     max_minutes=args.max_minutes,
                     encoder=args.encoder, encoder_alpha=args.encoder_alpha)
    cfg = locate(cfg, args.data, download=True)
    result = train(cfg, args.out, epochs=args.epochs, verbose=args.verbose)
    if not result.already_finished:
        last = result.history[-1] if result.history else {}
        print(f"Done: {result.epochs_done} epochs in {result.run_dir}; last val L1 on ab "
              f"{last.get('val_g_l1', float('nan')):.4f}; generator: "
              f"{runs.model_file(result.run_dir, 'generator', 'best')}")
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    from colorgan_utils.data import load_splits, locate
    from colorgan_utils.detector import plan as detector_plan
    from colorgan_utils.evaluation import evaluate_run, format_table, save_json
    from colorgan_utils.runs import PRETRAINED, evaluation_config, load_run

    if args.out:  # check where the results go before the work, not after
        out = Path(args.out)
        if out.is_dir():
            raise ValueError(f"--out {out} is a folder: give a file name, e.g. {out}/metrics.json")
        folder = out.parent if out.parent != Path("") else Path(".")
        if folder.exists() and not folder.is_dir():
            raise ValueError(f"--out {out}: {folder} is a file, not a folder")
        if not folder.exists():
            raise ValueError(f"--out {out}: the folder {folder} does not exist")
        if not os.access(folder, os.W_OK):
            raise ValueError(f"--out {out}: the folder {folder} is not writable")
    _say_smoke_wins(args.preset)
    generator, discriminator = load_run(args.run)
    if args.run is None:
        print(f"Evaluating the shipped generator {PRETRAINED} and its discriminator",
              file=sys.stderr)
    # split exactly as the run's training, at the generator's own size
    cfg = evaluation_config(args.run, generator, get_config(args.preset))
    cfg = locate(cfg, args.data)  # never downloads: say which photos to evaluate on
    data = cfg.data_dir
    _, splits = load_splits(cfg)
    records = splits[args.split] if args.split != "all" else sum(splits.values(), [])
    if not records:
        if args.split == "all" or not any(splits.values()):
            raise ValueError(f"{data} holds no colour photos to evaluate on (all black-and-white "
                             "or unreadable?): check it with python -m colorgan_utils scan")
        raise ValueError(f"{data}: the {args.split} split is empty; try --split all (quality "
                         "only: the detectors need photos they never learnt from)")
    plan = detector_plan(cfg, args.detector_epochs)  # every file it needs, looked for now
    print(f"Evaluating {args.run or 'the shipped generator'} on {len(records)} {args.split} "
          f"photos; {plan.describe()}", file=sys.stderr)
    result = evaluate_run(generator, discriminator, records, cfg, splits["train"], plan,
                          run=str(args.run or PRETRAINED), verbose=2, split=args.split)
    print(format_table(result))
    if args.out:
        print(f"wrote {save_json(result, args.out)}")
    return 0


def _colorize(args: argparse.Namespace) -> int:
    # every hint checked before TensorFlow is even imported
    hints = list(args.hint or []) + (read_hints(args.hints) if args.hints else [])
    check_for_photo(args.inputs, hints)
    from colorgan_utils.colorize import colorize_files, expand_inputs, refuse_hints
    from colorgan_utils.runs import PRETRAINED_HINTS, load_run

    photos, skipped = expand_inputs(args.inputs)
    if not photos and not skipped:
        print(f"error: no photos in {', '.join(args.inputs)}: nothing to colorize",
              file=sys.stderr)
        return 1
    generator, _ = load_run(args.run if args.run or not hints else PRETRAINED_HINTS)
    if hints:
        refuse_hints(generator, args.run)
    report = colorize_files(generator, args.inputs, args.out, render_size=args.render_size,
                            hints=hints)
    print(f"{len(report.written)} written to {args.out}, {len(report.skipped)} skipped")
    return report.exit_status


def _count(minimum: int):
    """argparse type: an integer >= ``minimum`` (a one-line usage error otherwise)."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{value} is too small: use {minimum} or more")
        return value
    return parse


def _hint(text: str) -> Hint:
    """argparse type: ``X,Y,#RRGGBB`` (a one-line usage error naming the hint otherwise)."""
    try:
        return parse_hint(text)
    except HintError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _minutes(text: str) -> float:
    """A time budget in minutes: a finite number above 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of minutes") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"{text}: give a number of minutes above 0")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m colorgan_utils",
        description="ColorGAN: colorize Stanford Dogs photos with a GAN, and tell the "
                    "colorized ones from real photos.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    scan = sub.add_parser("scan", help="check every image of a data folder and report problems")
    scan.add_argument("dir", help="a folder in the Stanford Dogs layout (Images/<wnid>-<Breed>/)")
    scan.add_argument("--json", action="store_true", help="print the report as JSON")
    scan.add_argument("--preset", choices=list(PRESETS), default=None,
                      help="settings preset (its image size sets the smallest usable photo)")
    scan.add_argument("--image-size", type=int, default=None, help="training image size in px")
    scan.add_argument("--min-side", type=int, default=None,
                      help="reject photos whose shorter side is below this (default: image size)")
    scan.add_argument("--progress", action="store_true", help="show a progress bar on stderr")
    scan.set_defaults(func=_scan)

    tr = sub.add_parser("train", help="train (or resume) a ColorGAN run into a folder")
    tr.add_argument("--data", help="dataset folder (default: COLORGAN_DATA_DIR, else download)")
    tr.add_argument("--out", required=True, help="run folder; run again to resume it")
    tr.add_argument("--preset", choices=list(PRESETS), default=None)
    tr.add_argument("--epochs", type=_count(1), default=None)
    tr.add_argument("--image-size", type=_count(32), default=None)
    tr.add_argument("--batch-size", type=_count(1), default=None)
    tr.add_argument("--encoder", choices=["mobilenetv2", "scratch"], default=None,
                    help="the generator's encoder: MobileNetV2 pretrained on ImageNet, or a "
                         "U-Net from scratch (default: the preset's)")
    tr.add_argument("--encoder-alpha", type=float, choices=[0.35, 0.5, 1.0], default=None,
                    help="MobileNetV2 width (default: the preset's)")
    tr.add_argument("--max-minutes", type=_minutes, default=None,
                    help="stop after the epoch that passes this many minutes (resume later)")
    tr.add_argument("--verbose", type=int, default=2, choices=[0, 1, 2],
                    help="Keras progress: 1 = bar, 2 = one line per epoch (default)")
    tr.set_defaults(func=_train)

    ev = sub.add_parser("evaluate", help="quality vs. the gray baseline, real/colorized accuracies")
    ev.add_argument("--run", default=None,
                    help="run folder or generator file (default: the shipped generator and "
                    "its discriminator)")
    ev.add_argument("--data", help="dataset folder (default: COLORGAN_DATA_DIR)")
    ev.add_argument("--split", choices=["test", "val", "train", "all"], default="test")
    ev.add_argument("--out", help="write every figure as JSON here (e.g. metrics.json)")
    ev.add_argument("--preset", choices=list(PRESETS), default=None)
    ev.add_argument("--detector-epochs", type=_count(0), default=None,
                    help="most epochs of the small CNN detector, which stops early (0 = skip "
                    "the detectors; default 20, 3 in smoke mode)")
    ev.set_defaults(func=_evaluate)

    co = sub.add_parser("colorize", help="colorize photos (files or folders) at full size")
    co.add_argument("inputs", nargs="+", help="image files or folders of images")
    co.add_argument("--run", default=None,
                    help="run folder or generator file (default: the shipped pretrained one)")
    co.add_argument("--out", required=True, help="output folder: <stem>.png per input")
    co.add_argument("--render-size", type=_count(64), default=RENDER_SIZE,
                    help="shorter side (px) the generator sees; colour is then laid on the "
                         "photo's own full-size lightness (default %(default)s)")
    co.add_argument("--hint", action="append", type=_hint, metavar="X,Y,#RRGGBB",
                    help="a colour hint: the photo's pixel X (from the left), Y (from the "
                         "top) has this colour; repeat it for more (one photo; the shipped "
                         "hinted generator unless --run)")
    co.add_argument("--hints", metavar="FILE.json",
                    help='hints from a JSON file: [{"x": X, "y": Y, "color": "#RRGGBB"}, ...]')
    co.set_defaults(func=_colorize)
    return parser


INTERRUPTED = {
    "_train": "interrupted: run the same command again to resume after the last finished epoch",
    "_colorize": ("interrupted: every photo listed above as written is complete (no half-written "
                  "file is left); a rerun does not overwrite them but writes name-2.png beside "
                  "them, so give it only the photos that are missing"),
    "_evaluate": "interrupted: nothing was written",
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit status (bad input: a one-line message, status 2)."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print(INTERRUPTED.get(args.func.__name__, "interrupted"), file=sys.stderr)
        return 130
    except (ColorGANError, ValueError, OSError) as exc:  # incl. FileNotFoundError
        print(f"error: {exc}", file=sys.stderr)
        return 2
