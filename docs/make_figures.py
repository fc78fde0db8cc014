"""Regenerate the README's figures (``docs/figures/*.png``) from a run and the data folder.

    python docs/make_figures.py --run runs/ablation/<chosen> --data ../shared/data/stanford-dogs-small

* ``results_grid.png``: whole test photos (never trained on) at their own size: original |
  the black-and-white photo | colorized (colour rendered at 256 px on the photo's own L), with
  ``--compare GENERATOR`` a column of that generator too (e.g. the from-scratch U-Net);
* ``lab_channels.png``: test photos split into L, a and b;
* ``research/figures/color_prior.png``: the training split's colour prior before and after
  rebalancing;
* ``per_breed.png``: per breed of the test split (centre crops), CIEDE2000 minus gray's.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--run", required=True, help="run folder or generator file")
    parser.add_argument("--data", required=True)
    parser.add_argument("--out", default="docs/figures")
    parser.add_argument("--photos", type=int, default=6)
    parser.add_argument("--compare", help="a second generator (file or run) for the grid")
    parser.add_argument("--labels", nargs=2, default=["from scratch", "pretrained encoder"],
                        metavar=("COMPARE", "RUN"), help="column titles with --compare")
    args = parser.parse_args()

    import numpy as np

    from colorgan_utils.colorize import compare_photos
    from colorgan_utils.data import load_splits, make_dataset
    from colorgan_utils.evaluation import colorize_records, per_breed_report
    from colorgan_utils.runs import load_run, run_config
    from colorgan_utils.config import get_config
    from colorgan_utils.models import training_size
    from colorgan_utils.colour_classes import prior_of
    from colorgan_utils.viz import (plot_color_prior, plot_comparison, plot_lab_grid,
                                    plot_per_breed, save_fig)

    generator, _ = load_run(args.run)
    run = Path(args.run) if Path(args.run).is_dir() else Path(args.run).parent
    cfg = run_config(run, get_config("cpu", data_dir=args.data))
    cfg = cfg.replace(image_size=training_size(generator), data_dir=args.data)
    _, splits = load_splits(cfg)
    test = splits["test"]
    # one photo per breed, spread over the test split, wider than tall for a tidy grid
    picks = [test[i] for i in np.linspace(0, len(test) - 1, 4 * args.photos).round().astype(int)]
    seen, chosen = set(), []
    for r in picks:
        if r.breed_name not in seen and r.width >= r.height:
            seen.add(r.breed_name)
            chosen.append(r)
    chosen = chosen[: args.photos]
    originals, grays, colours = compare_photos(generator, [r.path for r in chosen])
    columns = {"original": originals, "black-and-white (made by the model)": grays}
    if args.compare:
        other, _ = load_run(args.compare)
        columns[args.labels[0]] = compare_photos(other, [r.path for r in chosen])[2]
        columns[args.labels[1]] = colours
    else:
        columns["colorized"] = colours
    fig = plot_comparison(columns, row_titles=[r.breed_name for r in chosen], size=2.6)
    print("wrote", save_fig(fig, "results_grid", args.out, dpi=80))

    lum, ab = next(iter(make_dataset(chosen[:3], cfg, training=False, batch_size=3,
                                     cache=False)))
    fig = plot_lab_grid(lum.numpy(), ab.numpy(), [r.breed_name for r in chosen[:3]])
    print("wrote", save_fig(fig, "lab_channels", args.out, dpi=80))

    per_breed = per_breed_report(colorize_records(generator, test, cfg),
                                 [r.breed_name for r in test])
    print("wrote", save_fig(plot_per_breed(per_breed), "per_breed", args.out, dpi=80))

    train = splits["train"][:: max(1, len(splits["train"]) // 2000)]
    prior = prior_of(ab for _, ab in make_dataset(train, cfg, training=False, cache=False))
    fig = plot_color_prior(prior["centres"], prior["prior"], prior["weights"])
    print("wrote", save_fig(fig, "color_prior", "research/figures", dpi=70))


if __name__ == "__main__":
    main()
