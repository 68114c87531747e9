"""Training in pieces from the command line: the fast loop on the CPU, a time budget, resuming,
a sharded resume state, warm starts and the refused devices."""

import json

import pytest
import torch

from dpm_studio.cli.main import main
from dpm_studio.core.files.checkpoint import load
from dpm_studio.core.train.training import load_state, state_files


def _last_json(text):
    return json.loads(text.strip().splitlines()[-1])


pytestmark = pytest.mark.usefixtures("one_thread")


def test_fast_loop_in_two_pieces_continues_the_run(tmp_path, capsys):
    out = tmp_path / "roll"
    log = tmp_path / "log.csv"
    args = ["train", "swiss-roll", "-o", str(out), "--batch", "32", "--loop", "fast", "--sync-every", "4",
            "--no-eval", "--log", str(log)]
    assert main(args + ["--steps", "12"]) == 0
    assert _last_json(capsys.readouterr().out)["steps"] == 12
    card = load(out).card
    assert card["training"]["loop"] == "fast" and card["training"]["steps"] == 12
    tensors, meta = load_state(out.with_name("roll.train"))
    assert meta["step"] == 12 and any(k.startswith("opt.") for k in tensors)
    assert main(args + ["--resume", "--minutes", "0.01", "--no-amp", "--no-channels-last"]) == 0
    steps = _last_json(capsys.readouterr().out)["steps"]
    assert steps > 12 and load(out).card["training"]["steps"] == steps
    rows = log.read_text().splitlines()
    assert rows[0].startswith("step,loss") and rows[1].startswith("10,")
    assert len(load(out).card["training"]["commands"]) == 2


def test_an_unet_te_resume_state_is_sharded_under_16_mib(tmp_path, capsys, monkeypatch):
    """The 3.6 M network's state (weights, EMA, Adam's two moments: ~58 MB) in files under 16 MiB."""
    monkeypatch.delenv("DPM_STUDIO_WALLPAPERS", raising=False)
    out = tmp_path / "te"
    assert main(["train", "photos-rgb", "--net", "unet-te", "-o", str(out), "--steps", "1", "--batch", "2",
                 "--loop", "fast", "--no-eval"]) == 0
    capsys.readouterr()
    files = state_files(out.with_name("te.train"))
    assert len(files) >= 5 and all(f.exists() for f in files)
    assert all(f.stat().st_size < 16 * 2 ** 20 for f in files + [out.with_suffix(".safetensors")])
    assert load(out).card["network"]["kwargs"]["base"] == 48
    # Resuming with another network is one clear line.
    assert main(["train", "photos-rgb", "-o", str(out), "--steps", "1", "--batch", "2", "--resume", "--no-eval"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--net" in err[0]


def test_init_starts_from_a_checkpoints_weights(tmp_path, capsys):
    a = tmp_path / "a"
    assert main(["train", "swiss-roll", "-o", str(a), "--steps", "5", "--batch", "32", "--no-eval"]) == 0
    b = tmp_path / "b"
    assert main(["train", "swiss-roll", "-o", str(b), "--steps", "1", "--batch", "32", "--no-eval", "--lr", "1e-12",
                 "--seed", "7", "--init", str(a)]) == 0
    capsys.readouterr()
    wa, wb = load(a).net.state_dict(), load(b).net.state_dict()
    assert all(torch.allclose(wa[k], wb[k], atol=1e-6) for k in wa)
    assert main(["train", "heartbeat", "-o", str(tmp_path / "c"), "--steps", "1", "--init", str(a), "--no-eval"]) == 2
    assert "--init" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["train", "swiss-roll", "-o", "x", "--steps", "1", "--device", "mps"],
                                  ["sample", "--checkpoint", "swiss-roll", "-o", "x.png", "--size", "8x8",
                                   "--device", "mps"]])
def test_mps_is_refused_in_one_line(argv, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "mps" in err[0] and "not supported" in err[0]


def test_the_card_sums_examples_and_minutes_over_pieces_and_warm_starts(tmp_path, capsys):
    """Issue 21: a model trained in pieces (resumed, or warm-started from its own preset's
    checkpoint) carries every piece on its card, and the examples seen per device."""
    a = tmp_path / "a"
    base = ["train", "swiss-roll", "--batch", "32", "--no-eval"]
    assert main(base + ["-o", str(a), "--steps", "5"]) == 0
    assert main(base + ["-o", str(a), "--steps", "3", "--resume"]) == 0
    tr = load(a).card["training"]
    assert [p["steps"] for p in tr["pieces"]] == [5, 3]
    assert [p["examples"] for p in tr["pieces"]] == [160, 96]
    assert tr["seen"]["cpu"]["examples"] == 256 and tr["seen"]["cpu"]["pieces"] == 2
    b = tmp_path / "b"
    assert main(base + ["-o", str(b), "--steps", "2", "--init", str(a)]) == 0
    tr = load(b).card["training"]
    assert [p["steps"] for p in tr["pieces"]] == [5, 3, 2] and tr["seen"]["cpu"]["examples"] == 320
    # Another preset's weights are not its lineage; --init with --resume is refused in one line.
    assert main(base + ["-o", str(a), "--steps", "1", "--resume", "--init", str(b)]) == 2
    assert "--init" in capsys.readouterr().err.strip().splitlines()[-1]
