"""The Colab branches of notebooks 04 and 05, run for real on a simulated Colab.

A stand-in ``google.colab`` (``tests/colab_stand_in``) is imported at kernel start, so the
notebooks take their Colab paths: Drive is mounted (``USE_DRIVE = True``, as we recommend) into
a folder that survives a "VM reset", ``files.upload()`` hands over a real photo, and the custom
widget manager is switched on. Notebook 04 is killed in the middle of training, the VM's own
disk is wiped, and both notebooks then run to the end under nbval with their own asserts.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
STAND_IN = Path(__file__).resolve().parent / "colab_stand_in"


def _as_colab_user(name: str, dest: Path) -> Path:
    """The notebook as a Colab user runs it: ``USE_DRIVE = True`` (our recommendation)."""
    nb = json.loads((ROOT / "notebooks" / name).read_text())
    edited = 0
    for cell in nb["cells"]:
        text = "".join(cell["source"])
        if cell["cell_type"] == "code" and text.startswith("USE_DRIVE = False"):
            cell["source"] = text.replace("USE_DRIVE = False", "USE_DRIVE = True", 1)
            edited += 1
    assert edited == 1, f"{name}: expected one `USE_DRIVE = False` cell, found {edited}"
    path = dest / name
    path.write_text(json.dumps(nb))
    return path


@pytest.fixture()
def colab(tmp_path: Path, data_dir: Path, photo_paths: list[Path]) -> dict:
    startup = tmp_path / "ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True)
    (startup / "00-colab.py").write_text("import google.colab  # the stand-in\n")
    picked = tmp_path / "picked"
    picked.mkdir()
    shutil.copy(photo_paths[0], picked / "my dog.jpg")
    env = dict(os.environ)
    env.pop("COLORGAN_WORK_DIR", None)  # on Colab the work folder is our folder on Drive
    env.update(
        IPYTHONDIR=str(tmp_path / "ipython"),
        PYTHONPATH=os.pathsep.join(p for p in (str(STAND_IN), str(ROOT),
                                               env.get("PYTHONPATH", "")) if p),
        COLORGAN_DRIVE_MOUNT=str(tmp_path / "drive"),
        COLORGAN_LOCAL_DIR=str(tmp_path / "vm"),  # the VM's own disk (/content on Colab)
        COLAB_STAND_IN_UPLOADS=str(picked),
        COLAB_STAND_IN_LOG=str(tmp_path / "colab.log"),
        COLORGAN_SMOKE="1",
        COLORGAN_DATA_DIR=str(data_dir),  # no download here: no internet in CI
    )
    nbs = tmp_path / "notebooks"
    nbs.mkdir()
    return {"env": env, "dir": nbs, "tmp": tmp_path,
            "drive": tmp_path / "drive" / "MyDrive" / "colorgan"}


def _history_rows(drive: Path) -> int:
    files = list(drive.glob("runs/*/history.csv"))
    if not files:
        return 0
    try:
        with open(files[0], newline="") as f:
            return len(list(csv.DictReader(f)))
    except OSError:
        return 0


def _run_until_training_then_kill(path: Path, colab: dict) -> None:
    """Run the cells in order; kill the kernel once training has written its first epoch."""
    from jupyter_client.manager import start_new_kernel

    km, kc = start_new_kernel(kernel_name="python3", env=colab["env"], cwd=str(path.parent))
    try:
        for cell in json.loads(path.read_text())["cells"]:
            src = "".join(cell["source"])
            if cell["cell_type"] != "code":
                continue
            if "train(cfg, RUN_DIR" in src:
                kc.execute(src)
                deadline = time.monotonic() + 600
                while _history_rows(colab["drive"]) < 1:
                    assert time.monotonic() < deadline, "training wrote no epoch in 10 min"
                    time.sleep(0.02)
                km.shutdown_kernel(now=True)  # SIGKILL, as a disconnect would, mid-training
                return
            reply = kc.execute_interactive(src, timeout=600, output_hook=lambda msg: None)
            assert reply["content"]["status"] == "ok", (src[:200], reply["content"])
        raise AssertionError(f"{path.name} has no `train(cfg, RUN_DIR` cell")
    finally:
        kc.stop_channels()
        if km.is_alive():
            km.shutdown_kernel(now=True)


def _nbval(path: Path, colab: dict) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval-lax",
         "--nbval-current-env", str(path)],
        cwd=path.parent, env=colab["env"], capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, f"{path.name} on the simulated Colab:\n{done.stdout[-6000:]}"


def test_notebooks_04_and_05_on_colab_with_drive_survive_a_kill(colab):
    nb04 = _as_colab_user("04_adversarial_training.ipynb", colab["dir"])
    nb05 = _as_colab_user("05_real_vs_fake_evaluation.ipynb", colab["dir"])

    _run_until_training_then_kill(nb04, colab)
    runs = list(colab["drive"].glob("runs/*"))
    assert len(runs) == 1, runs  # the run folder is on Drive ...
    killed_rows = _history_rows(colab["drive"])
    assert killed_rows >= 1
    state = runs[0] / "state.json"
    assert not (state.is_file() and json.loads(state.read_text()).get("finished"))
    shutil.rmtree(colab["tmp"] / "vm", ignore_errors=True)  # ... the VM's own disk is gone

    _nbval(nb04, colab)  # resumes; its asserts check every epoch and sample grid once
    assert not list(runs[0].rglob("*.tmp*")), "a killed save left temporary files"
    _nbval(nb05, colab)

    log = (colab["tmp"] / "colab.log").read_text().splitlines()
    assert sum(line.startswith("drive.mount") for line in log) == 3  # 04 twice, 05 once
    assert "output.enable_custom_widget_manager" in log
    assert "files.upload ['my dog.jpg']" in log
    outputs = list(colab["drive"].glob("colorized/*/my dog.png"))
    assert len(outputs) == 1, outputs  # the photo just uploaded, colorized on Drive
