"""Nothing in the tree that cannot run at HEAD: every benchmark and research script imports
what it names from the package, and starts (``--help``); the benchmarks run one short
measurement on the test photos. A script that only ran at an old commit leaves the tree (its
results and story stay in research/README.md, the commit named)."""

import ast
import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = sorted([*ROOT.glob("benchmarks/*.py"), *ROOT.glob("research/*.py")])
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}


def _package_names(path: Path) -> list[tuple[str, str]]:
    """``(module, name)`` for every ``from colorgan_utils... import name`` in a script."""
    tree = ast.parse(path.read_text())
    return [(n.module, a.name) for n in ast.walk(tree)
            if isinstance(n, ast.ImportFrom) and n.module and n.module.startswith("colorgan_utils")
            for a in n.names]


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_script_imports_what_exists_and_starts(script):
    missing = []
    for module, name in _package_names(script):
        mod = importlib.import_module(module)
        if not hasattr(mod, name):
            try:
                importlib.import_module(f"{module}.{name}")
            except ImportError:
                missing.append(f"{module}.{name}")
    assert not missing, f"{script.name} imports what the package no longer has: {missing}"
    res = subprocess.run([sys.executable, str(script), "--help"], cwd=ROOT, capture_output=True,
                         text=True, env=ENV, timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    assert "usage:" in res.stdout


def test_the_check_above_would_see_a_name_that_left_the_package(tmp_path):
    """The guard itself: a script importing a name the package no longer has is caught."""
    bad = tmp_path / "old.py"
    bad.write_text("from colorgan_utils.gan import ColorGAN, _bce\n")
    names = _package_names(bad)
    assert ("colorgan_utils.gan", "_bce") in names
    assert not hasattr(importlib.import_module("colorgan_utils.gan"), "_bce")


BENCHMARK_RUNS = {
    "train_throughput.py": ["--sizes", "32", "--steps", "1", "--repeats", "1",
                            "--batch-size", "2"],
    "colorize_throughput.py": ["--n", "2", "--max-side", "320", "--render-size", "64"],
    "pipeline_throughput.py": ["--sizes", "32", "--epochs", "1", "--batch-size", "8"],
}


@pytest.mark.parametrize("name", sorted(BENCHMARK_RUNS))
def test_each_benchmark_runs_one_short_measurement(name, data_dir):
    args = BENCHMARK_RUNS[name] + (["--data", str(data_dir)] if name != "train_throughput.py"
                                   else [])
    res = subprocess.run([sys.executable, str(ROOT / "benchmarks" / name), *args], cwd=ROOT,
                         capture_output=True, text=True, env=ENV, timeout=600)
    assert res.returncode == 0, res.stderr[-3000:]
    assert "/s" in res.stdout  # it printed a throughput
