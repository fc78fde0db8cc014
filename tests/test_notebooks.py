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


def _project_url() -> str:
    import re

    text = (NB_DIR.parent / "pyproject.toml").read_text()
    return re.search(r'^Repository = "https://github.com/([^"]+)"', text, re.M).group(1)


def test_one_repository_address_everywhere():
    """pyproject's [project.urls] Repository is the one place: every badge, %pip line and the
    README follow it (on a fork, change it there and in these files with one search/replace)."""
    import re

    repo = _project_url()
    texts = {p.name: p.read_text() for p in NOTEBOOKS}
    texts["README.md"] = (NB_DIR.parent / "README.md").read_text()
    for name, text in texts.items():
        found = set(re.findall(r"colab\.research\.google\.com/github/([\w.-]+/[\w.-]+)/", text))
        found |= set(re.findall(r"git\+https://github\.com/([\w.-]+/[\w.-]+?)[\"\s@]", text))
        assert found == {repo}, f"{name}: {found} (pyproject says {repo})"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_a_failed_install_stops_at_the_install_cell(path):
    nb = json.loads(path.read_text())
    cell = next("".join(c["source"]) for c in nb["cells"] if "%pip install" in "".join(c["source"]))
    after = cell.split("%pip install", 1)[1]
    assert "import colorgan_utils" in after and "raise ImportError" in after
    assert "fork" in after  # tells fork owners what to change


def _code_cells(path):
    nb = json.loads(path.read_text())
    return ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_solutions_are_gated_and_the_gate_is_installed_before_the_first(path):
    """Every solution cell starts with the mark the gate knows; ``env.setup()`` (which installs
    the gate) runs before the first; the student is shown how to let them run."""
    from colorgan_utils.exercises import SOLUTION_MARK

    cells = _code_cells(path)
    solutions = [i for i, c in enumerate(cells) if "@title Solution" in c]
    assert solutions, f"{path.name} has no exercise"
    assert all(cells[i].startswith(SOLUTION_MARK) for i in solutions)
    setup = next(i for i, c in enumerate(cells) if "env.setup(" in c)
    assert setup < solutions[0]
    assert any("show_solutions()" in c for c in cells[setup:solutions[0]])


@pytest.mark.parametrize("name", ["02", "03", "04", "05"])
def test_notebooks_02_to_05_each_have_an_exercise_the_student_writes(name):
    """A starter cell that calls a ``check_`` on the student's function before the solution,
    and a solution cell that asserts the same check passes (CI runs it)."""
    path = next(p for p in NOTEBOOKS if p.name.startswith(name))
    cells = _code_cells(path)
    starters = [c for c in cells if "raise NotImplementedError" in c and "check_" in c]
    assert starters, f"{path.name}: no exercise in which the student writes code"
    for starter in starters:
        checks = [ln.split("(")[0] for ln in starter.splitlines() if ln.startswith("check_")]
        assert checks
        assert any(c.startswith("# @title Solution") and all(f"assert {k}(" in c for k in checks)
                   for c in cells), f"{path.name}: no solution asserting {checks}"


def test_a_gated_solution_cell_runs_nothing_in_a_real_kernel_until_shown(monkeypatch):
    """The mechanism end to end in IPython: a solution cell prints how to see it and does not
    run; after show_solutions() it runs."""
    from IPython.core.interactiveshell import InteractiveShell

    from colorgan_utils import exercises

    monkeypatch.delenv(exercises.SOLUTIONS_ENV, raising=False)
    monkeypatch.setattr(exercises, "_shown", False)
    shell = InteractiveShell.instance()
    try:
        exercises.gate_solutions(shell)
        shell.user_ns.pop("answer", None)
        cell = "# @title Solution (double-click to show it)\nanswer = 42\n"
        shell.run_cell(cell)
        assert "answer" not in shell.user_ns
        exercises.show_solutions()
        shell.run_cell(cell)
        assert shell.user_ns["answer"] == 42
    finally:
        shell.input_transformers_cleanup.remove(exercises._gate)
        InteractiveShell.clear_instance()
