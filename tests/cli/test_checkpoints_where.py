"""`dpm-studio checkpoints` says where each checkpoint lives: $DPM_STUDIO_CHECKPOINTS, the user folder, shipped."""

import json
from pathlib import Path

from dpm_studio.cli.main import main
from dpm_studio.core.files.locations import user_checkpoints_dir


def test_checkpoints_lists_where_each_lives(tmp_path, tiny, make_tiny, capsys):
    user = user_checkpoints_dir()
    assert str(user).startswith(str(tmp_path))  # the test's own XDG_DATA_HOME
    make_tiny(user, "mine-rgb")
    assert main(["checkpoints", "--json"]) == 0
    cards = {c["name"]: c for c in json.loads(capsys.readouterr().out)}
    assert cards["tiny-rgb"]["where"] == "env" and Path(cards["tiny-rgb"]["path"]).parent == tmp_path / "ckpt"
    assert cards["mine-rgb"]["where"] == "user" and Path(cards["mine-rgb"]["path"]).parent == user
    assert cards["photos-rgb"]["where"] == "shipped" and Path(cards["photos-rgb"]["path"]).is_file()
    assert main(["checkpoints"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert any(line.split()[:2] == ["user", str(user)] for line in out)  # the folders, in search order
    mine = next(line for line in out if line.startswith("mine-rgb "))
    assert mine.split()[-2:] == ["user", str(user / "mine-rgb.json")]
