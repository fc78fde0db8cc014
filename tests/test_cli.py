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
                 ["colorize", "a.jpg", "--out", "o", "--render-size", "32"]):
        with pytest.raises(SystemExit) as info:
            main(argv)
        assert info.value.code == 2
        assert "too small" in capsys.readouterr().err


# ------------------------------------------------------------------ faults the fuzz found


def test_a_time_budget_must_be_a_number_of_minutes_above_zero(tmp_path, capsys):
    import pytest

    for bad in ("0", "-1", "nan", "inf", "soon"):
        with pytest.raises(SystemExit) as exit_:
            main(["train", "--out", str(tmp_path / "run"), "--max-minutes", bad])
        assert exit_.value.code == 2
        assert "--max-minutes" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


def test_evaluate_refuses_an_unusable_out_before_any_work(tmp_path, capsys):
    (tmp_path / "file").write_text("x")
    for out in (tmp_path / "file" / "m.json", tmp_path / "missing" / "m.json"):
        assert main(["evaluate", "--run", str(tmp_path / "no-run"), "--out", str(out)]) == 2
        err = capsys.readouterr().err
        assert str(out) in err and "no-run" not in err  # refused before the run is looked at


def test_an_empty_input_folder_says_so(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert main(["colorize", str(tmp_path / "empty"), "--out", str(tmp_path / "o")]) == 1
    assert "no photos in" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_smoke_mode_over_a_preset_is_said(tmp_path, capsys):
    from colorgan_utils import cli

    cli._say_smoke_wins("cpu")  # the tests run with COLORGAN_SMOKE=1
    assert "COLORGAN_SMOKE is on" in capsys.readouterr().err
    cli._say_smoke_wins("smoke")
    cli._say_smoke_wins(None)
    assert capsys.readouterr().err == ""


def test_defaults_are_written_once():
    """The render size's default lives in config; the CLI and colorize use it, and the help
    prints it from there. Run-folder names in the callbacks' messages come from runs."""
    from colorgan_utils import colorize, config
    from colorgan_utils.cli import build_parser

    parser = build_parser()
    args = parser.parse_args(["colorize", "x.jpg", "--out", "o"])
    assert args.render_size == colorize.RENDER_SIZE == config.RENDER_SIZE
    package = Path(__file__).resolve().parents[1] / "colorgan_utils"
    callbacks, cli = (package / "callbacks.py").read_text(), (package / "cli.py").read_text()
    assert "256" not in cli
    assert "'backup'" not in callbacks and "generator_last.keras" not in callbacks


def test_the_command_line_quiets_tensorflow_s_cpp_log_unless_the_user_chose():
    """``python -m colorgan_utils`` sets TF_CPP_MIN_LOG_LEVEL=3 before TensorFlow loads; a
    level the user set is kept."""
    code = ("import os, runpy, sys\nsys.argv = ['colorgan_utils', '--help']\n"
            "try:\n    runpy.run_module('colorgan_utils', run_name='__main__')\n"
            "except SystemExit:\n    pass\nprint('LEVEL', os.environ.get('TF_CPP_MIN_LOG_LEVEL'))")
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert "LEVEL 3" in out.stdout, out.stderr[-1000:]
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**env, "TF_CPP_MIN_LOG_LEVEL": "1"})
    assert "LEVEL 1" in out.stdout
