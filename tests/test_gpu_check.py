"""scripts/gpu_check.py: its CPU smoke mode runs without PySide6 and reads its results back;
without CUDA (and no --device) it says so in one line."""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "gpu_check.py"


def _module():
    spec = importlib.util.spec_from_file_location("gpu_check", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_smoke_mode_on_the_cpu_without_pyside6(tmp_path):
    """The GPU machine has no PySide6: every row but the self-test must run with it blocked."""
    code = ("import sys, runpy; sys.modules['PySide6'] = None; "
            f"sys.argv = ['gpu_check.py', '--device', 'cpu', '--quick', '--no-torchrun', '--no-evaluate', "
            f"'--out', {str(tmp_path)!r}]; runpy.run_path({str(SCRIPT)!r}, run_name='__main__')")
    env = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert p.returncode == 0, p.stderr[-2000:]
    report = json.loads((tmp_path / "gpu_check.json").read_text())
    results = {r["check"]: r for r in report["rows"]}
    assert all(r["result"] in ("ok", "skipped") for r in report["rows"])
    assert results["self-test"]["detail"].startswith("skipped: no PySide6")
    ran = [name for name, r in results.items() if r["result"] == "ok"]
    for part in ("train swiss-roll", "unet-te --loop fast", "train in pieces", "denoise --method mmse",
                 "denoise --method sample", "inpaint --mode forward --start harmonic",
                 "inpaint --mode clamp --start noise", "sample photos-rgb", "sample digits-binary", "throughput photos plain", "throughput photos fast"):
        assert any(part in name for name in ran), part
    assert "PSNR 20.78 ->" in results["denoise --method mmse (ensemble 8)"]["detail"]
    (entry,) = report["throughput"]
    assert entry["plain"] > 0 and entry["fast"] > 0 and 0.5e6 < entry["params"] < 0.6e6
    md = (tmp_path / "gpu_check.md").read_text()
    assert "| photos-rgb (shipped U-Net) | 0.55 M | 32 | 4 |" in md
    assert p.stdout.strip().splitlines()[-1] == f"{len(report['rows'])} of {len(report['rows'])} rows passed or " \
                                                "skipped; 0 failed"


def test_without_cuda_it_says_so_in_one_line(monkeypatch, capsys):
    mod = _module()
    monkeypatch.setattr(mod.torch.cuda, "is_available", lambda: False)
    assert mod.main([]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and out[0].startswith("gpu_check: no CUDA device")


def test_a_failing_row_is_reported_and_fails_the_run(capsys):
    mod = _module()
    c = mod.Checks()
    c.row("good", lambda: "fine")
    c.row("bad", lambda: (_ for _ in ()).throw(AssertionError("PSNR gain 0.10 dB")))
    c.row("absent", lambda: (_ for _ in ()).throw(mod.Skip("skipped: no thing")))
    assert [r["result"] for r in c.rows] == ["ok", "FAIL", "skipped"]
    assert c.failed == [c.rows[1]] and c.rows[1]["detail"] == "AssertionError: PSNR gain 0.10 dB"
    md = mod.markdown("head", c.rows, [{"network": "n", "params": 3.6e6, "crop": 128, "batch": 64, "plain": 400.0,
                                        "fast": 2400.0}])
    assert "| n | 3.60 M | 128 | 64 | 400.0 | 2400.0 | 6.0x |" in md
    capsys.readouterr()


@pytest.mark.parametrize("name", ["scripts/gpu_check.py", "scripts/gpu_train_photos.sh"])
def test_the_gpu_scripts_exist_and_are_executable(name):
    assert os.access(ROOT / name, os.X_OK)


def test_the_training_piece_script_runs_and_resumes_on_the_cpu(tmp_path):
    """Two tiny pieces: a warm start from the shipped photos-rgb, then a resume in another folder."""
    import csv

    from safetensors.torch import load_file

    env = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1", PYTHON=sys.executable, DEVICE="cpu",
               BATCH="2", EVAL="0", MINUTES="0.03", WALLPAPERS=str(tmp_path / "none"), ALLOW_NO_WALLPAPERS="1")
    script = str(ROOT / "scripts" / "gpu_train_photos.sh")
    p1 = subprocess.run([script], env=dict(env, OUT=str(tmp_path / "a"), SEED="7"), capture_output=True, text=True,
                        timeout=300)
    assert p1.returncode == 0, p1.stderr[-2000:]
    assert " --seed 7" in p1.stdout  # a new warm start can draw new crops (the same seed repeats a run)
    first = json.loads((tmp_path / "a" / "photos-rgb.train.json").read_text())["step"]
    card = json.loads((tmp_path / "a" / "photos-rgb.json").read_text())
    assert card["training"]["init"] == "photos-rgb" and card["training"]["loop"] == "fast"
    p2 = subprocess.run([script], env=dict(env, OUT=str(tmp_path / "b"), RESUME_FROM=str(tmp_path / "a")),
                        capture_output=True, text=True, timeout=300)
    assert p2.returncode == 0, p2.stderr[-2000:]
    files = sorted(f.name for f in (tmp_path / "b").iterdir())
    assert files == ["photos-rgb.csv", "photos-rgb.json", "photos-rgb.safetensors", "photos-rgb.train.json",
                     "photos-rgb.train.safetensors"]
    assert all((tmp_path / "b" / f).stat().st_size < 16 * 2 ** 20 for f in files)
    second = json.loads((tmp_path / "b" / "photos-rgb.train.json").read_text())["step"]
    assert second > first >= 1
    assert int(json.loads(p2.stdout.split("result: ", 1)[1].splitlines()[0])["steps"]) == second
    weights = load_file(str(tmp_path / "b" / "photos-rgb.safetensors"))
    assert all(v.isfinite().all() for v in weights.values())
    rows = list(csv.reader((tmp_path / "b" / "photos-rgb.csv").open()))
    assert rows[0][0] == "step"
    # Without wallpapers and without ALLOW_NO_WALLPAPERS the piece refuses to start.
    env.pop("ALLOW_NO_WALLPAPERS")
    p3 = subprocess.run([script], env=dict(env, OUT=str(tmp_path / "c")), capture_output=True, text=True, timeout=60)
    assert p3.returncode == 2 and "no wallpaper photographs" in p3.stderr
