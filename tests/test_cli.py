import json
import os
import subprocess
import sys
from pathlib import Path

from colorgan_utils.cli import main

ROOT = Path(__file__).resolve().parents[1]


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "colorgan_utils", *args], capture_output=True,
                          text=True, cwd=ROOT, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})


def test_scan_text_report(data_dir, capsys):
    assert main(["scan", str(data_dir)]) == 0
    out = capsys.readouterr().out
    assert "colour photos usable for training" in out.splitlines()[-1]
    assert "breed" in out


def test_scan_json_lists_flagged_not_good(tmp_path, photo_paths, real_photo, capsys):
    breed = tmp_path / "Images" / "n1-dog"
    breed.mkdir(parents=True)
    for p in photo_paths[:3]:
        (breed / p.name).write_bytes(p.read_bytes())
    (breed / "bad.jpg").write_text("text")
    real_photo.convert("L").convert("RGB").save(breed / "bw.jpg")
    assert main(["scan", str(tmp_path), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["color"] == 3
    assert [Path(i["path"]).name for i in report["rejected"]] == ["bad.jpg"]
    assert [Path(i["path"]).name for i in report["black_and_white"]] == ["bw.jpg"]
    assert "good" not in report and report["per_breed"]["n1-dog"]["color"] == 3


def test_scan_missing_folder_exits_nonzero_without_traceback(tmp_path):
    res = run_cli("scan", str(tmp_path / "missing"))
    assert res.returncode != 0
    assert "Traceback" not in res.stderr
    lines = [ln for ln in res.stderr.splitlines() if ln.startswith("error:")]
    assert len(lines) == 1 and str(tmp_path / "missing") in lines[0]


def test_scan_folder_without_colour_photos_exits_nonzero(tmp_path, real_photo):
    breed = tmp_path / "Images" / "n1-dog"
    breed.mkdir(parents=True)
    real_photo.convert("L").save(breed / "bw.jpg")
    res = run_cli("scan", str(tmp_path))
    assert res.returncode != 0 and "Traceback" not in res.stderr
    assert str(tmp_path) in res.stderr


def test_evaluate_checks_its_output_before_the_work(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    res = subprocess.run([sys.executable, "-m", "colorgan_utils", "evaluate", "--run",
                          str(tmp_path / "nowhere"), "--out", str(tmp_path)],
                         capture_output=True, text=True, cwd=root)
    assert res.returncode == 2 and "is a folder" in res.stderr  # before loading any run


def test_numbers_are_validated_by_argparse(capsys):
    import pytest

    from colorgan_utils.cli import main

    for argv in (["train", "--out", "x", "--epochs", "0"], ["train", "--out", "x",
                 "--batch-size", "0"], ["evaluate", "--run", "x", "--detector-epochs", "-2"],
                 ["colorize", "a.jpg", "--out", "o", "--render-size", "8"]):
        with pytest.raises(SystemExit) as info:
            main(argv)
        assert info.value.code == 2
        assert "too small" in capsys.readouterr().err
