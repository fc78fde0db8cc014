"""The notebooks themselves: committed without outputs, with a correct Colab badge and Setup.

(nbval runs them: ``pytest --nbval-lax notebooks``.)
"""

import json
from pathlib import Path

import pytest

NB_DIR = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOKS = sorted(NB_DIR.glob("*.ipynb"))
REPO = "github/colorgan/colorgan"  # Colab path: github/<owner>/<repo>


def test_there_are_notebooks():
    assert [p.name[:2] for p in NOTEBOOKS][:1] == ["01"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_without_outputs(path):
    nb = json.loads(path.read_text())
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "code":
            assert cell.get("outputs") == [], f"{path.name} cell {i} has outputs: strip them"
            assert cell.get("execution_count") is None, f"{path.name} cell {i} has a count"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_badge_points_at_this_file(path):
    nb = json.loads(path.read_text())
    first = "".join(nb["cells"][0]["source"])
    assert first.startswith("# "), "first cell: one H1 title"
    assert f"colab.research.google.com/{REPO}/blob/main/notebooks/{path.name}" in first


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_setup_installs_only_on_colab_and_never_mounts_by_itself(path):
    nb = json.loads(path.read_text())
    code = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
    text = "\n".join(code)
    assert 'IS_COLAB = "google.colab" in sys.modules' in text
    for src in code:
        if "%pip install" in src:
            assert "if IS_COLAB" in src
        assert "!pip" not in src
        if "mount_drive()" in src:
            assert "USE_DRIVE" in src
    assert "USE_DRIVE = False" in text
    assert any("assert" in src for src in code)
