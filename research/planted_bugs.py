"""Planted bugs replayed (the first table and the round-4 survivors): plant each, run its test.

Not a test, and not in CI (each row runs pytest once). For each bug below the script edits one
line of the package (an exact text replacement; it stops if the line has moved), runs the named
tests, puts the file back (also on Ctrl-C), and prints whether the tests caught it.

    python research/planted_bugs.py            # all rows
    python research/planted_bugs.py --row 3    # one row

Do not run it while something else (mutmut, a training run) reads the package's files.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PKG = ROOT / "colorgan_utils"

# (bug, file, original text, planted text, tests that must fail)
BUGS: list[tuple[str, str, str, str, list[str]]] = [
    ("g_loss without the L1 term", "gan.py",
     "return self.weight * l1(ab, colorized_ab)", "return 0.0 * l1(ab, colorized_ab)",
     ["tests/test_gan.py::test_a_few_steps_on_one_batch_lower_the_colour_loss",
      "tests/test_gan.py::test_the_named_loss_terms_add_up_known_values"]),
    ("adversarial_weight ignored (the warm-up does nothing)", "gan.py",
     '"g_loss": self.adversarial_weight * g_adv_loss + self.colour_scale * g_colour,',
     '"g_loss": g_adv_loss + self.colour_scale * g_colour,',
     ["tests/test_gan.py::test_warmup_step_follows_the_colour_loss_alone"]),
    ("the split's name hash salted per process", "data.py",
     'digest = hashlib.sha1(Path(path).name.encode("utf-8")).hexdigest()',
     'digest = hashlib.sha1((str(hash("salt")) + Path(path).name).encode("utf-8")).hexdigest()',
     ["tests/test_data.py::test_split_is_identical_across_processes_and_disjoint_by_file"]),
    ("the test photos added to the training split", "data.py",
     'out["train"] += items[n_test + n_val:]', 'out["train"] += items',
     ["tests/test_data.py::test_split_is_identical_across_processes_and_disjoint_by_file"]),
    ("critic per-image scores left as logits", "evaluation.py",
     "real_img = forensics.sigmoid(real.mean(axis=(1, 2, 3)))",
     "real_img = real.mean(axis=(1, 2, 3))",
     ["tests/test_evaluation.py::test_discriminator_report_on_known_logits"]),
    ("d_real_acc counting sigmoid(logit) > 0.9", "gan.py",
     'accuracy = {"d_real_acc": 1.0 - called_fake(terms["real_logits"]),',
     'accuracy = {"d_real_acc": tf.cast(tf.sigmoid(terms["real_logits"]) > 0.9, tf.float32),',
     ["tests/test_gan.py::test_discriminator_accuracies_on_known_logits"]),
    ("the detector's real/fake labels swapped", "detector.py",
     "REAL, COLORIZED = 1.0, 0.0",
     "REAL, COLORIZED = 0.0, 1.0",
     ["tests/test_forensics.py::test_cnn_detector_learns_which_side_is_real"]),
    ("the best generator keeping the worst validation L1", "callbacks.py",
     "        if score < self.best:", "        if score > self.best or self.best == math.inf:",
     ["tests/test_evaluation.py::test_best_generator_is_the_epoch_with_the_lowest_validation_loss",
      "tests/test_evaluation.py::"
      "test_checkpoint_prefers_adversarial_epochs_resumes_its_best_and_skips_diverged"]),
    ("plain RGB clipping instead of the lightness-keeping gamut map", "colorize.py",
     "rgb = color.lab_to_rgb_keep_lightness_sparse(color.denormalize_lab(l_norm, ab_strip))",
     "rgb = color.lab_to_rgb(color.denormalize_lab(l_norm, ab_strip))",
     ["tests/test_colorize.py::test_lightness_is_kept_for_saturated_predictions"]),
    ("every strip's ab taken from the photo's first rows", "colorize.py",
     "tf.constant([r, h, w])", "tf.constant([0, h, w])",
     ["tests/test_colorize.py::test_strips_give_what_resizing_the_whole_photo_gives"]),
    ("the loss not divided by the replica count", "gan.py",
     "            loss = loss / float(replicas)", "            loss = loss",
     ["tests/test_training.py::test_mirrored_step_equals_the_single_device_step"]),
    # the round-4 survivors (a fresh set of slips the suite let through), now with tests
    ("the encoder's switch to fine-tuning never reaching the compiled step", "callbacks.py",
     "        self.model.make_train_function(force=True)", "        pass",
     ["tests/test_training.py::test_pretrained_encoder_run_freezes_then_fine_tunes_and_resumes"]),
    ("the mean chroma baseline computing colourfulness", "forensics.py",
     '    "mean chroma": image_chroma,', '    "mean chroma": image_colorfulness,',
     ["tests/test_forensics.py::test_mean_chroma_of_a_uniform_patch_of_chroma_c_is_exactly_c"]),
    ("the ROC curve mirrored (false positives from the wrong side)", "forensics.py",
     "    fpr = [(c > t).mean() for t in cuts]", "    fpr = [(c <= t).mean() for t in cuts]",
     ["tests/test_forensics.py::test_roc_curve_known_points_and_its_area_is_the_auc"]),
    ("Grad-CAM running the detector in training mode", "detector.py",
     "feats, logits = feat_model(x, training=False)", "feats, logits = feat_model(x, training=True)",
     ["tests/test_evaluation.py::test_grad_cam_maps_are_the_same_on_every_call"]),
    ("hue agreement measured against the colorization", "evaluation.py",
     '"hue_agreement": metrics.hue_agreement(batch["real"], batch["colorized"]),',
     '"hue_agreement": metrics.hue_agreement(batch["colorized"], batch["real"]),',
     ["tests/test_evaluation.py::test_quality_report_measures_hue_agreement_against_the_real_photo"]),
    ("hue agreement's chroma threshold 15 where 8 is documented", "metrics.py",
     "painted: float = 8.0", "painted: float = 15.0",
     ["tests/test_metrics.py::"
      "test_hue_agreement_counts_a_pale_but_right_colour_above_the_documented_chroma_8",
      "tests/test_evaluation.py::test_quality_report_measures_hue_agreement_against_the_real_photo"]),
    ("the feature detector early-stopped on its training features", "detector.py",
     "history = fit_detector(model, (x, y), labelled(val_real, val_colorized), epochs, patience,",
     "history = fit_detector(model, (x, y), (x, y), epochs, patience,",
     ["tests/test_forensics.py::"
      "test_the_feature_detector_stops_early_on_its_validation_features_not_its_training_ones"]),
    ("the per-breed table using the weaker detector", "forensics.py",
     'return max(reports, key=lambda name: reports[name]["test_auc"])',
     'return min(reports, key=lambda name: reports[name]["test_auc"])',
     ["tests/test_forensics.py::test_the_per_breed_table_uses_the_stronger_detector"]),
    ("the quiz drawing the real photo on the left every time", "widgets.py",
     "self.real_on_left = [rng.random() < 0.5 for _ in range(self.n_trials)]",
     "self.real_on_left = [True for _ in range(self.n_trials)]",
     ["tests/test_evaluation.py::test_the_quiz_shows_the_real_photo_on_either_side_as_drawn"]),
    ("the quiz widget showing the real photo on the left whatever was drawn", "widgets.py",
     "a, b = (real[i], colorized[i]) if real_left else (colorized[i], real[i])",
     "a, b = (real[i], colorized[i])",
     ["tests/test_evaluation.py::test_the_quiz_shows_the_real_photo_on_either_side_as_drawn"]),
    ("the colour prior smoothed with sigma where sigma squared belongs", "colour_classes.py",
     "kernel = np.exp(-d2 / (2 * sigma**2))", "kernel = np.exp(-d2 / (2 * sigma))",
     ["tests/test_colour_classes.py::"
      "test_the_prior_is_smoothed_by_a_gaussian_of_sigma_lab_units_known_ratio"]),
    # colour hints (notebook 07)
    ("a person's hint painted with x and y swapped", "hints.py",
     "        c, r = render_pixel(h.x, h.y, photo_size, render_size)",
     "        r, c = render_pixel(h.x, h.y, photo_size, render_size)",
     ["tests/test_hints.py::test_a_hint_colour_appears_at_its_pixel"]),
    ("the hint pyramid marking every cell hinted", "models.py",
     "mask = ops.cast(share > 0, hint.dtype)", "mask = ops.cast(share >= 0, hint.dtype)",
     ["tests/test_hints.py::test_a_hint_whose_mask_is_0_changes_nothing",
      "tests/test_hints.py::test_no_hints_go_through_the_same_path_as_the_automatic_generator"]),
    ("the hint branch with biases (no hints no longer adds exactly 0)", "models.py",
     'h = layers.Conv2D(x.shape[-1], 1, use_bias=False, kernel_initializer="zeros",',
     'h = layers.Conv2D(x.shape[-1], 1, bias_initializer="ones", kernel_initializer="zeros",',
     ["tests/test_hints.py::test_the_hinted_generator_starts_as_the_generator_it_extends",
      "tests/test_hints.py::test_no_hints_go_through_the_same_path_as_the_automatic_generator"]),
    ("no hints given as a mask of ones", "models.py",
     "return ops.concatenate([l_norm, ops.zeros_like(ops.repeat(l_norm, 3, axis=-1))], -1)",
     "return ops.concatenate([l_norm, ops.ones_like(ops.repeat(l_norm, 3, axis=-1))], -1)",
     ["tests/test_hints.py::test_a_hint_whose_mask_is_0_changes_nothing"]),
    ("a hint one pixel past the photo accepted", "hints.py",
     "if not (0 <= h.x < width and 0 <= h.y < height):",
     "if not (0 <= h.x <= width and 0 <= h.y <= height):",
     ["tests/test_hints.py::test_hints_outside_the_photo_are_refused",
      "tests/test_hints.py::test_the_cli_refuses_bad_hints_before_any_work"]),
    ("a click mapped in display pixels, not the photo's", "hint_widget.py",
     "    x = min(width - 1, max(0, int(fx * width)))",
     "    x = min(width - 1, max(0, int(float(event['relativeX']))))",
     ["tests/test_hint_widget.py::test_a_click_maps_to_the_photo_pixel_at_any_display_size"]),
    ("the number of simulated hints unseeded", "hints.py",
     "u = tf.random.stateless_uniform([b], seeds[0], minval=1e-7, maxval=1.0)",
     "u = tf.random.uniform([b], minval=1e-7, maxval=1.0)",
     ["tests/test_hints.py::test_simulated_hints_are_seeded_and_carry_their_patch_s_mean_colour"]),
    ("a hint carrying another photo's colour", "hints.py",
     'mean = tf.einsum("bkh,bhwc,bkw->bkc", rows, ab, cols) / area',
     'mean = tf.einsum("bkh,bhwc,bkw->bkc", rows, tf.roll(ab, 1, 0), cols) / area',
     ["tests/test_hints.py::test_simulated_hints_are_seeded_and_carry_their_patch_s_mean_colour"]),
    ("hints simulated on the test photos too", "training.py",
     "val_ds = make_dataset(val, cfg, training=False, repeat=True, hints=hints)",
     'val_ds = make_dataset(val + splits["test"], cfg, training=False, repeat=True, hints=hints)',
     ["tests/test_hints.py::test_hint_sampling_is_seeded_and_never_reads_the_test_split"]),
]


def run_row(i: int) -> tuple[str, float]:
    bug, name, old, new, tests = BUGS[i]
    path = PKG / name
    text = path.read_text()
    if text.count(old) != 1:
        raise SystemExit(f"row {i + 1}: {name} no longer holds exactly one {old!r}; update it")
    t0 = time.time()
    try:
        path.write_text(text.replace(old, new))
        res = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider",
                              "-p", "no:nbval", *tests], cwd=ROOT, capture_output=True, text=True,
                             env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    finally:
        path.write_text(text)
    # caught = pytest ran and a test failed (exit 1), not a collection or usage error
    caught = res.returncode == 1 and re.search(r"^FAILED tests/", res.stdout, re.M)
    if caught:
        why = next((ln for ln in res.stdout.splitlines() if ln.startswith("E ")), "")
        print("   ", res.stdout.strip().splitlines()[-1], "|", why[:110].strip())
    verdict = "caught" if caught else ("SURVIVED" if res.returncode == 0
                                       else f"error (pytest exit {res.returncode})")
    return verdict, time.time() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--row", type=int, action="append", help="1-based row (repeatable)")
    args = ap.parse_args()
    rows = [r - 1 for r in args.row] if args.row else range(len(BUGS))
    survived = 0
    for i in rows:
        verdict, secs = run_row(i)
        survived += verdict != "caught"
        bug, name, _, _, tests = BUGS[i]
        print(f"{i + 1:2d}. {verdict:8s} {bug} ({name}; {secs:.0f} s)\n"
              f"    by {', '.join(t.split('::')[-1] for t in tests)}", flush=True)
    print(f"\n{len(list(rows)) - survived} of {len(list(rows))} planted bugs caught")
    return 1 if survived else 0


if __name__ == "__main__":
    raise SystemExit(main())
