"""Mutation score of the code that decides what is learned and what is reported (issue 11).

Not a test, and not in CI (hours on 2 cores). Runs ``mutmut run`` on the scope below (what
``pyproject.toml``'s ``[tool.mutmut]`` mutates, narrowed to the split and the checkpoint choice
in the two files that hold much else), then prints, per part of the scope, how many mutants the
tests killed. mutmut keeps its results in ``mutants/``: a second run only retests what changed.

    pip install mutmut
    python research/mutation_score.py                # run, then print the table
    python research/mutation_score.py --report-only  # print the table of the last run
    python research/mutation_score.py --part detector.py  # one part only
    python research/mutation_score.py --sample 150   # 150 random mutants per part: an estimate
    python research/mutation_score.py --survivors    # after new tests: rerun the survivors
    mutmut results                                     # the survivors; mutmut show NAME for one

A mutant "survives" when every test that reaches its function still passes: a bug the tests
would miss. "no tests" means no test reaches the function in-process (a subprocess does not
count); a timeout counts as killed (the mutant made the code hang), as mutmut itself counts it.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import math
import os
import random
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# part -> mutmut name patterns (``x_function`` / ``xǁClassǁmethod``, then ``__mutmut_N``)
SCOPE: dict[str, list[str]] = {
    "gan.py": ["colorgan_utils.gan.*"],
    "metrics.py": ["colorgan_utils.metrics.*"],
    "colour_classes.py": ["colorgan_utils.colour_classes.*"],
    "evaluation.py": ["colorgan_utils.evaluation.*"],
    "detector.py": ["colorgan_utils.detector.*"],
    "split (data.py)": [f"colorgan_utils.data.x_{f}__mutmut_*"
                        for f in ("name_hash", "subsample", "split_records", "load_splits")],
    "checkpoint choice (callbacks.py)": [
        "colorgan_utils.callbacks.xǁGeneratorCheckpointǁ*",
        "colorgan_utils.callbacks.xǁAveragedGeneratorǁ*",
        "colorgan_utils.callbacks.x__diverged__mutmut_*",
    ],
    "colorize path (colorize.py, photos.py)": ["colorgan_utils.colorize.*",
                                               "colorgan_utils.photos.*"],
    # where the planted bugs of the last round survived: L and ab cropped and flipped together,
    # and the models and optimizers a run trains with
    "augmentation (data.py)": [f"colorgan_utils.data.x_{f}__mutmut_*"
                               for f in ("random_crop_flip", "make_dataset", "_lab_square",
                                         "resize_center_crop")],
    "training set-up (training.py, models.py)": [
        "colorgan_utils.training.x_optimizers__mutmut_*",
        "colorgan_utils.training.x_learning_rate__mutmut_*",
        "colorgan_utils.models.x_build_models__mutmut_*",
    ],
    "forensics.py": ["colorgan_utils.forensics.*"],
}

KILLED = {1, 3, 24, -24, 36, 152, 255, 37}  # mutmut's "killed", "timeout" and "type check"
SURVIVED = {0}
NO_TESTS = {5, 33}


def exit_codes() -> dict[str, int | None]:
    """Every mutant mutmut has generated, with the exit code of its tests (None: not run)."""
    out: dict[str, int | None] = {}
    for meta in (ROOT / "mutants").rglob("*.py.meta"):
        out.update(json.loads(meta.read_text())["exit_code_by_key"])
    return out


def table(parts: list[str]) -> list[dict]:
    codes = exit_codes()
    rows = []
    for part in parts:
        keys = [k for k in codes if any(fnmatch.fnmatchcase(k, p) for p in SCOPE[part])]
        c = Counter("killed" if codes[k] in KILLED else "survived" if codes[k] in SURVIVED
                    else "no tests" if codes[k] in NO_TESTS else "not run" if codes[k] is None
                    else "other" for k in keys)
        checked = c["killed"] + c["survived"] + c["no tests"] + c["other"]
        rows.append({"part": part, "mutants": len(keys), **{k: c[k] for k in
                     ("killed", "survived", "no tests", "other", "not run")},
                     "score": round(100 * c["killed"] / checked, 1) if checked else None,
                     # a sample's score is an estimate: its 95% margin (normal approximation)
                     "margin": (round(196 * math.sqrt(c["killed"] * (checked - c["killed"])
                                                      / checked**3), 1)
                                if checked and c["not run"] else 0.0)})
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--part", action="append", choices=list(SCOPE),
                    help="only this part of the scope (repeatable; default: all)")
    ap.add_argument("--report-only", action="store_true", help="print the last run's table")
    ap.add_argument("--sample", type=int, default=None, metavar="N",
                    help="run N mutants of each part, drawn at random (seed 0), not all: an "
                         "estimate of the score in a fraction of the time")
    ap.add_argument("--survivors", action="store_true",
                    help="run again only the mutants that survived last time (mutmut keeps a "
                         "survivor's verdict until asked, even after the tests changed)")
    ap.add_argument("--max-children", type=int, default=None)
    ap.add_argument("--json", default=None, help="also write the table to this file")
    args = ap.parse_args()
    parts = args.part or list(SCOPE)

    if not args.report_only:
        patterns = [p for part in parts for p in SCOPE[part]]
        if args.survivors:
            codes = exit_codes()
            patterns = [k for k in sorted(codes) if codes[k] in SURVIVED | NO_TESTS
                        and any(fnmatch.fnmatchcase(k, p) for p in patterns)]
            if not patterns:
                raise SystemExit("no survivors to run again")
        elif args.sample:
            names = sorted(exit_codes())
            if not names:
                raise SystemExit("--sample: run once without it first (mutmut generates the "
                                 "mutants on its first run)")
            rng = random.Random(0)
            patterns = []
            for part in parts:
                mine = [k for k in names if any(fnmatch.fnmatchcase(k, p) for p in SCOPE[part])]
                patterns += rng.sample(mine, min(args.sample, len(mine)))
        mutmut = shutil.which("mutmut", path=str(Path(sys.executable).parent)) or "mutmut"
        cmd = [mutmut, "run", *patterns]
        if args.max_children:
            cmd[2:2] = ["--max-children", str(args.max_children)]
        print("$", " ".join(cmd), flush=True)
        # each mutant's process imports the mutated copies (MBs of source): let Python cache
        # their bytecode, whatever the shell says
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        subprocess.run(cmd, cwd=ROOT, check=False, env=env)

    rows = table(parts)
    print(f"\n{'part':40s} {'mutants':>7s} {'killed':>6s} {'survived':>8s} {'no tests':>8s}"
          f" {'not run':>7s} {'score':>6s}")
    # a part with mutants "not run" (a --sample, or a run cut short) has an estimated score
    for r in rows:
        score = "-" if r["score"] is None else f"{r['score']:.1f}%"
        if r["margin"]:
            score += f" ±{r['margin']:.0f}"
        print(f"{r['part']:40s} {r['mutants']:7d} {r['killed']:6d} {r['survived']:8d}"
              f" {r['no tests']:8d} {r['not run']:7d} {score:>6s}")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
