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
