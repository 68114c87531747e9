"""The command line saves what the app saves: each run a request's record (core/run/requests.py)."""

import hashlib
import json
import os
from pathlib import Path

import numpy as np
from PIL import Image

from dpm_studio.cli.main import main
from dpm_studio.core.machine.devices import native_bf16
from dpm_studio.core.run.requests import DenoiseRequest
from dpm_studio.imageio import load_image


def test_the_cli_and_the_app_save_the_same_schema(tmp_path, tiny):
    """The CLI writes {"software", "runs": [...]}, what the app writes, each run a request's record."""
    src = tmp_path / "in.png"
    Image.fromarray((np.random.default_rng(0).random((24, 24, 3)) * 255).astype(np.uint8)).save(src)
    out = tmp_path / "out.png"
    assert main(["denoise", str(src), "-o", str(out), "--checkpoint", "tiny-rgb", "--sigma", "20",
                 "--ensemble", "1"]) == 0
    meta = load_image(out).metadata
    expect = DenoiseRequest(sigma=20 / 255, ensemble=1, clip_steps=2, levels=255, tile_batch=1, noise="constant",
                            precision="bf16" if native_bf16("cpu") else "fp32",
                            ).metadata("tiny-rgb")  # as resolved: the arithmetic that ran
    run = dict(meta["runs"][0])
    weights = Path(os.environ["DPM_STUDIO_CHECKPOINTS"]) / "tiny-rgb.safetensors"
    # the model actually used (issue 18), named by its weights' hash, not by where it lies (issue 24)
    assert run.pop("checkpoint_sha256") == hashlib.sha256(weights.read_bytes()).hexdigest()
    assert str(tmp_path) not in json.dumps(meta) and "checkpoint_file" not in run
    assert len(run.pop("result_sha256")) == 64 and run.pop("software") == meta["software"]   # what it made, by what
    assert set(run) == set(expect) and {k: run[k] for k in expect if k != "time"} == \
        {k: v for k, v in expect.items() if k != "time"}
    out2 = tmp_path / "out2.png"  # a result of a result keeps the first run's record
    assert main(["denoise", str(out), "-o", str(out2), "--checkpoint", "tiny-rgb", "--sigma", "10",
                 "--ensemble", "1"]) == 0
    assert [r["sigma_255"] for r in load_image(out2).metadata["runs"]] == [20.0, 10.0]
