"""The front door: every image and relative link in the README and notebooks is in the
repository (tracked by git, so a .gitignore pattern cannot hide it), and the README's install
line installs exactly one TensorFlow."""

import json
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINK = re.compile(r"\]\(([^)\s]+)\)|src=\"([^\"]+)\"")


def _documents() -> list[tuple[Path, str]]:
    docs = [(ROOT / "README.md", (ROOT / "README.md").read_text()),
            (ROOT / "data" / "README.md", (ROOT / "data" / "README.md").read_text())]
    for nb in sorted((ROOT / "notebooks").glob("*.ipynb")):
        cells = json.loads(nb.read_text())["cells"]
        docs.append((nb, "\n".join("".join(c["source"]) for c in cells
                                   if c["cell_type"] == "markdown")))
    return docs


def _relative_links(text: str) -> list[str]:
    out = []
    for m in LINK.finditer(text):
        target = (m.group(1) or m.group(2)).split("#")[0]
        if target and not re.match(r"^[a-z]+:", target):
            out.append(target)
    return out


def _tracked() -> set[str]:
    res = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True)
    assert res.returncode == 0, f"the tests run from a git checkout: {res.stderr}"
    return set(res.stdout.splitlines())


def test_every_relative_link_and_image_is_tracked_by_git():
    tracked = _tracked()
    folders = {str(Path(t).parent) for t in tracked} | {
        str(p) for t in tracked for p in Path(t).parents}
    missing = []
    for doc, text in _documents():
        for link in _relative_links(text):
            target = (doc.parent / link).resolve().relative_to(ROOT).as_posix()
            if target not in tracked and target.rstrip("/") not in folders:
                missing.append(f"{doc.relative_to(ROOT)} -> {link}")
    assert not missing, "not in the repository (ignored or never committed): " + ", ".join(
        missing)


def test_the_readme_shows_at_least_one_figure():
    images = [link for link in _relative_links((ROOT / "README.md").read_text())
              if link.endswith(".png")]
    assert images, "the README should show a results figure"


@pytest.mark.parametrize("marker", ["<!-- install-command -->", "<!-- test-command -->"])
def test_ci_runs_the_readme_commands(marker):
    readme = (ROOT / "README.md").read_text()
    assert marker in readme
    ci = (ROOT / ".ci" / "run").read_text()
    assert marker in ci  # .ci/run reads the line after the marker and runs it


def _row(readme: str, label: str) -> list[str]:
    """The cells of the README table row whose first cell contains ``label``."""
    for line in readme.splitlines():
        cells = [c.strip().strip("*") for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and label in cells[0]:
            return cells
    raise AssertionError(f"the README has no table row for {label!r}")


def test_the_readme_quotes_the_shipped_pair_and_its_control_as_measured():
    """The results table's L1-only and L1 + GAN rows, and the GAN discriminator's row, are the
    figures in the results JSON (re-shipping a model without re-measuring fails here)."""
    readme = (ROOT / "README.md").read_text()
    ablation = json.loads((ROOT / "research/results/gan_ablation.json").read_text())
    shipped = json.loads((ROOT / "research/results/shipped_test_metrics.json").read_text())
    q = shipped["quality"]
    for label, r in (("L1 only", ablation["test"]["a_l1_only"]),
                     ("L1 + GAN", {"psnr": q["model"]["psnr"], "ciede2000": q["model"]["ciede2000"],
                                   "cf": q["model"]["colorfulness"],
                                   "hue": shipped["hue_agreement"]})):
        cells = _row(readme, label)
        assert cells[1] == f"{r['psnr']:.2f}" and cells[2] == f"{r['ciede2000']:.2f}", cells
        assert cells[3] == f"{r['cf']:.1f}" and cells[4].startswith(f"{r['hue']['all']:.2f}"), cells
    # the shipped generator's row is the shipped generator's (same photos, same figures)
    assert q["model"]["ciede2000"] == pytest.approx(
        ablation["test"][ablation["chosen"]]["ciede2000"], abs=0.01)
    d = shipped["discriminator"]
    cells = _row(readme, "GAN discriminator")
    lo, hi = d["per_image_accuracy_ci"]
    assert cells[1] == f"{100 * d['per_image_accuracy']:.1f}% [{100 * lo:.1f}, {100 * hi:.1f}]", cells
    assert cells[2] == f"{d['auc']:.3f}", cells
    assert f"{100 * d['mismatch_rejection']:.0f}%" in cells[0], cells


def _plain(path: Path) -> str:
    """A document's text with runs of white space as one space (notebooks: every cell)."""
    text = path.read_text()
    if path.suffix == ".ipynb":
        text = "\n".join("".join(c["source"]) for c in json.loads(text)["cells"])
    return " ".join(text.split())


def test_every_quoted_time_is_the_measured_one_with_its_machine():
    """The times the README and the notebooks quote come from research/results/timings.json,
    where each has the machine and the command that measured it: a re-measured time changed
    there makes this fail until every sentence quoting it is changed too."""
    timings = json.loads((ROOT / "research" / "results" / "timings.json").read_text())
    assert timings["times"]
    for name, t in timings["times"].items():
        assert t["machine"] and t["command"] and t["quoted"], name
        for doc, phrase in t["quoted"]:
            want = " ".join(phrase.format(t["value"]).split())
            assert want in _plain(ROOT / doc), f"{doc} should say '{want}' ({name})"


def test_notebook_06_quotes_the_class_run_s_measured_test_figures():
    """Notebook 06's table of the full-budget class generator against the generator shipped
    before it is research/results/classes_full_budget.json's test figures, rounded as shown."""
    result = json.loads((ROOT / "research" / "results" / "classes_full_budget.json").read_text())
    f, h = result["test"]["f (shipped)"], result["test"]["h T=0.5"]
    text = _plain(ROOT / "notebooks" / "06_colour_as_classes.ipynb")
    rows = [f"| colourfulness | {f['cf']:.1f} | **{h['cf']:.1f}** | {f['real_cf']:.1f} |",
            f"| right hue on clearly coloured pixels (green / blue) | {f['hue']['all']:.2f} "
            f"({f['hue']['green']:.2f} / {f['hue']['blue']:.2f}) | **{h['hue']['all']:.2f}** "
            f"({h['hue']['green']:.2f} / {h['hue']['blue']:.2f}) | 1 |",
            f"| CIEDE2000 (gray: {f['gray_ciede2000']:.2f}; lower is closer) | "
            f"**{f['ciede2000']:.2f}** | {h['ciede2000']:.2f} | 0 |",
            f"| photos with blotches (over 1% painted) | **{f['photos_over_veto']}** | "
            f"{h['photos_over_veto']} | |"]
    for row in rows:
        assert row in text, row


def test_notebook_07_quotes_the_measured_forensics_of_guided_colorizations():
    """Notebook 07's answer to the forensic question on the 517 test photos is
    research/results/hint_curve.json's, with its intervals, rounded as shown."""
    result = json.loads((ROOT / "research" / "results" / "hint_curve.json").read_text())
    text = _plain(ROOT / "notebooks" / "07_guide_the_colours.ipynb")
    by = result["forensics"]["by_hints"]
    for judge in ("colourfulness bar", "small CNN", "MobileNetV2-feature head"):
        for n in ("0", "10"):
            r = by[n][judge]
            lo, hi = r["called_real_ci"]
            want = f"{100 * r['called_real']:.1f}% [{100 * lo:.1f}, {100 * hi:.1f}]"
            assert want in text, f"notebook 07 should quote {judge}, {n} hints: {want}"
    test = result["curves"]["test photos"]
    for n in ("0", "10"):
        assert f"{test['model'][n]['ciede2000']:.2f}" in text, n


def test_the_readme_quotes_the_measured_hint_curve():
    """The README's sentence on hints says research/results/hint_curve.json's test figures."""
    test = json.loads((ROOT / "research" / "results" / "hint_curve.json").read_text())[
        "curves"]["test photos"]
    text = _plain(ROOT / "README.md")
    m0, m10 = test["model"]["0"], test["model"]["10"]
    gain = test["gray_baseline"]["ciede2000"] - m10["ciede2000"]
    for want in (f"{gain:.2f} CIEDE2000 closer", f"({m10['ciede2000']:.2f}; with no hints "
                 f"{m0['ciede2000']:.2f}, the automatic generator "
                 f"{test['automatic']['ciede2000']:.2f})",
                 f"colourfulness {m10['colorfulness']:.1f} with 10 hints, real photos "
                 f"{test['real']['colorfulness']:.1f}"):
        assert want in text, want
    o = json.loads((ROOT / "research" / "results" / "hint_curve.json").read_text())["orange_dog"]
    want = (f"coat chroma {o['hinted_0']['chroma']:.1f} to {o['hinted_1']['chroma']:.1f}, the "
            f"photo's {o['true']['chroma']:.1f}")
    assert want in text, want
