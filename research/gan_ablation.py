"""The GAN ablation: does the adversarial term earn its place, and which discriminator lets it?

Not a test. Protocol (DeOldify's "NoGAN" order):

1. **One shared L1-only pretraining** (``<out>/pretrain_l1``): the ``cpu`` preset's generator
   (MobileNetV2 alpha 0.5 encoder, 128 px, batch 32, Adam 2e-4, EMA 0.99), 100 x L1 only, the
   encoder frozen for 2 epochs and fine-tuned (1/10 of the learning rate) in the third; constant
   learning rate. Its last averaged generator starts every variant.
2. **Every variant continues from it for the same budget**: ``--epochs`` epochs of the whole
   training split (2: 256 steps), the encoder fine-tuned throughout, cosine schedule, averaged
   generator, the discriminator trained from scratch, the GAN term on from the first step, and
   the last epoch kept (``keep="last"``: selection by validation L1 would undo the GAN):

   * **a** L1 only (the control: the GAN term never switches on);
   * **b** today's GAN term (pix2pix's BCE, BatchNorm PatchGAN);
   * **c** b with the discriminator's normalisation chosen by ``discriminator_choice.py``;
   * **d** c with the mismatched pairs (Reed et al.), at the weight chosen there;
   * **e** d with the colour term annealed from 100 x L1 to 10 x L1 over the run;
   * **f** d with the hinge loss (SNGAN's) instead of the BCE;
   * **g** (our idea) everything that pulls towards colour together: e with f's hinge loss.
3. **The validation photos choose** (the rule below); the **test photos are measured once**,
   for the chosen variant and the control, with the figure of both side by side.

**The rule, fixed before the runs:** among the GAN variants (b-g; the control a is what the
chosen one is compared with, and the script also says what the rule would pick with it) with CIEDE2000 <= gray - 1.5,
PSNR >= gray + 0.5 dB and no photo over the blotch veto (more than 1% of its pixels painted 30
chroma units above the truth), the one with the smallest dCF = |CF(model) - CF(real)|; if none
qualifies, the lowest CIEDE2000. Each variant's own discriminator (same run, same epoch) is
judged too, in inference mode: AUC real vs colorized, AUC real vs mismatched, and the share of
mismatched pairs it calls colorized.

    python research/gan_ablation.py --data ../shared/data/stanford-dogs-small

Resumable: a finished run is only read back; an interrupted one resumes (``train()``).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

CONTROL = "a_l1_only"
PRETRAIN = dict(epochs=3, warmup_epochs=10**6, encoder_frozen_epochs=2, lr_schedule="constant")
COMMON = dict(warmup_epochs=0, encoder_frozen_epochs=0, lr_schedule="cosine", keep="last")


def variants(norm: str, weight: float) -> dict[str, dict]:
    """The variants' settings on top of the ``cpu`` preset and :data:`COMMON`."""
    d = dict(discriminator_norm=norm, mismatch_weight=weight)
    return {
        "a_l1_only": dict(warmup_epochs=10**6),
        "b_gan_today": dict(),
        f"c_{norm}": dict(discriminator_norm=norm),
        "d_mismatch": d,
        "e_anneal_l1": dict(d, l1_lambda_end=10.0),
        "f_hinge": dict(d, gan_loss="hinge"),
        "g_anneal_hinge": dict(d, l1_lambda_end=10.0, gan_loss="hinge"),
    }


def judge_discriminator(discriminator, batch: dict) -> dict:
    """The run's own discriminator in inference mode on real, colorized and mismatched pairs."""
    import numpy as np

    from colorgan_utils import forensics
    from colorgan_utils.models import image_scores

    def scores(ab):
        return np.concatenate([np.asarray(image_scores(discriminator, batch["L"][s:s + 64],
                                                       ab[s:s + 64]))
                               for s in range(0, len(ab), 64)])

    real, fake = scores(batch["ab"]), scores(batch["colorized_ab"])
    mis = scores(np.roll(batch["ab"], 1, axis=0))
    return {"auc": forensics.auc(real, fake), "auc_mismatch": forensics.auc(real, mis),
            "real_called_real": float((real > 0).mean()),
            "colorized_called_colorized": float((fake <= 0).mean()),
            "mismatch_rejection": float((mis <= 0).mean())}


def measure_run(run: Path, records: list, cfg) -> dict:
    """Quality against gray (the encoder ablation's measure) and the discriminator's verdict."""
    from encoder_ablation import measure

    from colorgan_utils.evaluation import colorize_records
    from colorgan_utils.runs import load_run

    generator, discriminator = load_run(run, verbose=False)
    row = measure(generator, records, cfg)
    row["discriminator"] = judge_discriminator(discriminator,
                                               colorize_records(generator, records, cfg))
    return row


def draw(out: Path, names: list[str], test: list, path: Path, photos: int = 6) -> None:
    """Whole test photos (one per breed, landscape) at their own size, colorized as
    ``colorize`` does: original | gray | one column per run."""
    import matplotlib

    matplotlib.use("Agg")
    import numpy as np

    from colorgan_utils.colorize import compare_photos
    from colorgan_utils.runs import load_run
    from colorgan_utils.viz import plot_comparison

    picks, seen = [], set()
    for i in np.linspace(0, len(test) - 1, 4 * photos).round().astype(int):
        r = test[i]
        if r.breed_name not in seen and r.width >= r.height and len(picks) < photos:
            seen.add(r.breed_name)
            picks.append(r)
    columns: dict = {}
    for name in dict.fromkeys(names):
        originals, grays, colours = compare_photos(load_run(out / name, verbose=False)[0],
                                                   [r.path for r in picks])
        columns.setdefault("original", originals)
        columns.setdefault("gray", grays)
        columns[name] = colours
    fig = plot_comparison(columns, row_titles=[r.breed_name for r in picks], size=2.4)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=72, bbox_inches="tight")
    print("wrote", path, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--out", default="runs/gan_ablation")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--only", nargs="*", default=None, help="train only these variants")
    parser.add_argument("--choice", default="research/results/discriminator_choice.json")
    parser.add_argument("--json", default="research/results/gan_ablation.json")
    parser.add_argument("--figure", default=None,
                        help="draw whole test photos: original | gray | a | chosen | g (PNG)")
    parser.add_argument("--ship", action="store_true",
                        help="write the chosen run's generator and its own discriminator (the "
                             "kept epoch) and the control's generator into the package")
    args = parser.parse_args()

    from encoder_ablation import RULE, choose, print_table

    from colorgan_utils.config import get_config
    from colorgan_utils.data import load_splits
    from colorgan_utils.runs import HISTORY, model_file, read_history
    from colorgan_utils.training import train

    choice = json.loads(Path(args.choice).read_text())
    out = Path(args.out)
    base = get_config("cpu", data_dir=args.data)
    _, splits = load_splits(base)
    print("rule (fixed before the runs):", RULE, flush=True)
    t0 = time.monotonic()
    train(base.replace(**PRETRAIN), out / "pretrain_l1", splits=splits, verbose=2)
    start = model_file(out / "pretrain_l1", "generator", "last")
    rows: dict[str, dict] = {}
    for name, settings in variants(choice["norm"], choice["mismatch_weight"]).items():
        if args.only is not None and name not in args.only:
            continue
        run = out / name
        cached = run / "gan_ablation.json"
        if cached.is_file():
            rows[name] = json.loads(cached.read_text())
        else:
            cfg = base.replace(**{**COMMON, **settings}, epochs=args.epochs,
                               init_generator=str(start))
            t = time.monotonic()
            train(cfg, run, splits=splits, verbose=2)
            history = read_history(run / HISTORY)
            rows[name] = {**measure_run(run, splits["val"], base), "settings": settings,
                          "wall_s": round(time.monotonic() - t),
                          "val_d_acc_per_epoch": [(round(h["val_d_real_acc"], 3),
                                                   round(h["val_d_colorized_acc"], 3))
                                                  for h in history]}
            cached.write_text(json.dumps(rows[name]))
        print(name, json.dumps(rows[name]), flush=True)
    # the candidates are the GAN variants; the control is what the chosen one is compared with
    best = choose({k: v for k, v in rows.items() if k != CONTROL})
    with_control = choose(rows)
    print_table(rows, best, len(splits["val"]))
    print("\n| variant | D AUC real/colorized | D AUC real/mismatched | mismatch rejection |"
          " val D acc per epoch (real, colorized) |\n|---|---|---|---|---|")
    for name, r in rows.items():
        d = r["discriminator"]
        print(f"| {name} | {d['auc']:.3f} | {d['auc_mismatch']:.3f} | "
              f"{d['mismatch_rejection']:.0%} | {r['val_d_acc_per_epoch']} |")
    print(f"\nchosen on the validation photos by the rule ({RULE}), among the GAN variants: "
          f"{best}; with the control among the candidates it would be {with_control}")
    test = {}
    for name in dict.fromkeys([best, CONTROL]):
        if name in rows:
            test[name] = measure_run(out / name, splits["test"], base)
            print("test", name, json.dumps(test[name]), flush=True)
    if args.figure:
        draw(out, [CONTROL, best, "g_anneal_hinge"], splits["test"], Path(args.figure))
    if args.ship:
        from colorgan_utils import runs

        generator, discriminator = runs.load_run(out / best)
        runs.save_compact(generator, runs.PRETRAINED)
        runs.save_compact(discriminator, runs.PRETRAINED_DISCRIMINATOR)
        runs.save_compact(runs.load_run(out / CONTROL)[0], runs.PRETRAINED_L1)
        print(f"shipped {best} (epoch {runs.read_json(out / best / runs.BEST)['epoch']}) and "
              "a_l1_only", flush=True)
    Path(args.json).write_text(json.dumps({
        "rule": RULE, "candidates": "the GAN variants (b-g); a is the control", "chosen": best,
        "chosen_with_control_as_candidate": with_control, "epochs_per_variant": args.epochs,
        "discriminator_choice": {k: choice[k] for k in ("norm", "mismatch_weight")},
        "pretraining": PRETRAIN, "common": COMMON, "val_photos": len(splits["val"]),
        "test_photos": len(splits["test"]), "rows_val": rows, "test": test,
        "wall_s_total_this_call": round(time.monotonic() - t0)}, indent=2))


if __name__ == "__main__":
    main()
