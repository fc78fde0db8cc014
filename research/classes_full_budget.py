"""Colour as classes on the pretrained encoder, trained as long as the shipped generator.

Not a test. The encoder ablation's variant h (``encoder_ablation.py``: the bin head of
``colour_classes.class_generator`` on the pretrained U-Net, ``ClassColorGAN``) had five CPU
minutes and came out colourful (24.8) but further from the truth than gray. This trains the same
h with the ``cpu`` preset's whole schedule (8 epochs, the shipped generator's budget) with the
package's own ``train()``, then decodes it at several annealed-mean temperatures.

**Fixed before the run:** the temperature is chosen on the *validation* photos by the
ablation's rule (smallest dCF among those with CIEDE2000 <= gray - 1.5, PSNR >= gray + 0.5 dB
and no photo over the blotch veto; else the lowest CIEDE2000), among ``--temperatures``; the
test photos are measured once, for h at that temperature and for the shipped generator (f),
and the same rule then says which of the two is the default.

    python research/classes_full_budget.py --data ../shared/data/stanford-dogs-small

Resumable: ``train()`` resumes an interrupted run; a finished run is only evaluated.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path


def at_temperature(generator, temperature: float):
    """The same class generator decoded at another annealed-mean temperature (shared weights)."""
    import keras

    from colorgan_utils.colour_classes import STRIDE, AnnealedMean

    logits = generator.get_layer("ab_logits").output
    centres = generator.get_layer("annealed_mean").centres
    ab = AnnealedMean(centres, temperature, dtype="float32")(logits)
    ab = keras.layers.UpSampling2D(STRIDE, interpolation="bilinear", dtype="float32")(ab)
    return keras.Model(generator.input, ab)


def blend(f, h, a: float, size: int):
    """One generator whose ab is ``a`` x f's + (1 - a) x h's (both networks run)."""
    import keras

    from colorgan_utils.models import TrainingSize

    x = keras.Input((None, None, 1))
    return keras.Model(x, a * f(TrainingSize(size)(x)) + (1 - a) * h(x))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--out", default="runs/classes_full_budget")
    parser.add_argument("--temperatures", type=float, nargs="+",
                        default=[0.2, 0.38, 0.5, 0.7, 1.0])
    parser.add_argument("--json", default="research/results/classes_full_budget.json")
    parser.add_argument("--mix", type=float, default=None,
                        help="class rebalancing: 1 weighs every bin the same (default: the "
                             "package's 0.5)")
    parser.add_argument("--blends", type=float, nargs="*", default=None,
                        help="instead: validation only, a * f + (1 - a) * h for each a here "
                             "and each of --temperatures (an exploration, not the rule's run)")
    parser.add_argument("--figure", default=None,
                        help="PNG: the test photos with the most blue, green and red/orange "
                             "pixels, real | gray | f | h (read back from --json if it exists)")
    args = parser.parse_args()

    from encoder_ablation import RULE, VARIANTS, choose, classes_gan, measure, print_table

    from colorgan_utils.config import get_config
    from colorgan_utils.data import load_splits
    from colorgan_utils.runs import HISTORY, PRETRAINED, load_generator, load_run, read_history
    from colorgan_utils.training import train

    print("rule (fixed before the run):", RULE, flush=True)
    cfg = get_config("cpu", data_dir=args.data).replace(**VARIANTS["h_mbv2_050_classes"])
    cfg = cfg.replace(steps_per_epoch=None)  # the preset's whole epochs, as the shipped f
    _, splits = load_splits(cfg)
    run = Path(args.out)
    t0 = time.monotonic()
    train(cfg, run, splits=splits, verbose=2,
          build_gan=classes_gan(cfg, splits["train"], args.mix))
    wall = time.monotonic() - t0
    history = read_history(run / HISTORY)
    h, _ = load_run(run, verbose=False)
    f = load_generator(PRETRAINED)

    if args.blends:
        rows = {"f alone": measure(f, splits["val"], cfg)}
        for t in args.temperatures:
            for a in args.blends:
                rows[f"{a} f + {1 - a:g} h T={t}"] = r = measure(
                    blend(f, at_temperature(h, t), a, cfg.image_size), splits["val"], cfg)
                print(f"val {a} f + {1 - a:g} h T={t}", json.dumps(r), flush=True)
        Path(args.json).write_text(json.dumps({"split": "val", "rows": rows}, indent=2))
        return
    if args.figure and Path(args.json).is_file():
        best_t = json.loads(Path(args.json).read_text())["temperature_chosen_on_val"]
        figure(args.figure, splits["test"], cfg, f, at_temperature(h, best_t), best_t)
        return
    val = {}
    for t in args.temperatures:
        val[f"h T={t}"] = measure(at_temperature(h, t), splits["val"], cfg)
        print("val", f"T={t}", json.dumps(val[f"h T={t}"]), flush=True)
    best_t = float(choose(val).split("=")[1])
    print(f"temperature chosen on validation: {best_t}", flush=True)
    test = {"f (shipped)": measure(f, splits["test"], cfg),
            f"h T={best_t}": measure(at_temperature(h, best_t), splits["test"], cfg)}
    chosen = choose(test)
    print_table(test, chosen, len(splits["test"]))
    print(f"\nchosen by the rule: {chosen}")
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps({
        "rule": RULE, "mix": args.mix, "temperature_chosen_on_val": best_t, "chosen_on_test": chosen,
        "wall_s_this_call": wall, "epochs": len(history),
        "images_per_s": [round(r["images_per_s"], 1) for r in history],
        "val": val, "test": test}, indent=2))
    if args.figure:
        figure(args.figure, splits["test"], cfg, f, at_temperature(h, best_t), best_t)


def figure(path: str, records, cfg, f, h, temperature: float, per_band: int = 2) -> None:
    """The ``per_band`` test photos with the most clearly coloured pixels of each hue band
    (blue, green, red/orange: the targets' bands), real | gray | f | h, centre crops."""
    import numpy as np
    from skimage.color import rgb2lab

    from colorgan_utils.evaluation import colorize_records
    from colorgan_utils.metrics import HUE_BANDS
    from colorgan_utils.viz import plot_comparison

    real = colorize_records(f, records, cfg)["real"]
    lab = rgb2lab(real)
    coloured = np.hypot(lab[..., 1], lab[..., 2]) > 15
    hue = np.degrees(np.arctan2(lab[..., 2], lab[..., 1]))
    picks: list[int] = []
    for band in ("blue", "green", "red_orange"):
        lo, hi = HUE_BANDS[band]
        count = (coloured & ((hue - lo) % 360 < hi - lo)).sum(axis=(1, 2))
        picks += [int(i) for i in np.argsort(-count) if i not in picks][:per_band]
    chosen = [records[i] for i in picks]
    fb, hb = colorize_records(f, chosen, cfg), colorize_records(h, chosen, cfg)
    fig = plot_comparison({"real": fb["real"], "black and white": fb["gray"],
                           "f (shipped)": fb["colorized"],
                           f"h, classes (T={temperature})": hb["colorized"]},
                          row_titles=[f"most {b}" for b in ("blue", "green", "red/orange")
                                      for _ in range(per_band)])
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=80, bbox_inches="tight")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
