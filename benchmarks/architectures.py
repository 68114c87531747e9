"""Candidate photos networks side by side: size, arithmetic, CPU time, and what each costs a user.

    python benchmarks/architectures.py [--threads 2] [--reps 5] [--out docs/architectures.md]

For each candidate U-Net (the shipped photos-rgb and wider/deeper time-embedding ones) on
3-channel 256 x 256 input: parameters, GFLOP per megapixel of one forward pass (counted by
torch.utils.flop_counter), CPU seconds per megapixel on this machine (the best of
``--reps`` timed passes, fp32, NCHW and channels_last, and bf16 autocast with its largest
deviation from fp32), and the time the command line's default denoise would take on a
256 x 256 image (6 views + 2 one-view passes for the clipped pixels). The quality column comes
from trained checkpoints only: a network that has not been trained has no PSNR here.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dpm_studio.core.files.checkpoint import load, resolve  # noqa: E402
from dpm_studio.core.math.nets import build_net  # noqa: E402

CANDIDATES = {
    "photos-rgb (shipped): base 28, mults 1-2-2, 1 block, basis time": dict(base=28),
    "base 32, mults 1-2-2-2, 1 block, time embedding": dict(base=32, channel_mults=[1, 2, 2, 2], time="embedding"),
    "unet-te: base 48, mults 1-2-2-2, 2 blocks, time embedding": dict(base=48, channel_mults=[1, 2, 2, 2],
                                                                      num_res_blocks=2, time="embedding"),
    "base 64, mults 1-2-2-2, 2 blocks, time embedding": dict(base=64, channel_mults=[1, 2, 2, 2], num_res_blocks=2,
                                                             time="embedding"),
}
SIDE = 256
CLI_EVALS = 8  # 6 views of the posterior mean (DenoiseRequest) + 2 estimates for clipped pixels (tasks.CLIP_STEPS)


def best_time(fn, reps: int) -> float:
    fn()  # warm up
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--out", default=str(ROOT / "docs" / "architectures.md"))
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    from torch.utils.flop_counter import FlopCounterMode

    mp = SIDE * SIDE / 1e6
    rows = []
    load0 = os.getloadavg()[0]
    for name, kw in CANDIDATES.items():
        if name.startswith("photos-rgb"):
            net = load(resolve("photos-rgb")).net.float().eval()  # the trained weights
        else:
            net = build_net({"type": "unet", "kwargs": {"T": 1000, "channels": 3, "outputs_per_channel": 2,
                                                        **kw}}).eval()
            torch.nn.init.normal_(net.conv_out.weight, std=0.02)  # an untrained head is all zeros
        params = sum(p.numel() for p in net.parameters())
        x = torch.randn(1, 3, SIDE, SIDE)
        t = torch.tensor([100.0])
        with torch.no_grad():
            with FlopCounterMode(display=False) as fc:
                net(x, t)
            gflop = fc.get_total_flops() / 1e9 / mp
            ref = net(x, t)
            fp32 = best_time(lambda: net(x, t), args.reps)
            net_cl = net.to(memory_format=torch.channels_last)
            x_cl = x.to(memory_format=torch.channels_last)
            cl = best_time(lambda: net_cl(x_cl, t), args.reps)
            with torch.autocast("cpu", dtype=torch.bfloat16):  # channels_last weights, as inference runs
                bf = best_time(lambda: net_cl(x_cl, t), args.reps)
                dev = float((net_cl(x_cl, t).float() - ref).abs().max())
        rows.append((name, params, gflop, fp32 / mp, cl / mp, bf / mp, dev, CLI_EVALS * min(fp32, cl, bf),
                     CLI_EVALS * min(fp32, cl)))
        print(rows[-1], flush=True)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()
    lines = ["# Candidate photos networks", "",
             f"Made by `python benchmarks/architectures.py {' '.join(argv or sys.argv[1:])}` at commit {commit} "
             f"on this project's 2-core CPU machine, torch {torch.__version__}, {args.threads} threads; load "
             f"average {load0:.1f} at the start and {os.getloadavg()[0]:.1f} at the end (times are the best of "
             f"{args.reps} passes, so they rise less with load than means would).", "",
             f"One forward pass on a 3 x {SIDE} x {SIDE} input. `CLI denoise 256^2` = {CLI_EVALS} passes (6 views "
             "of the posterior mean and two estimates for clipped pixels) in the fastest of the three: the "
             "issue's target is 5 s on 2 cores. `bf16 max dev`: the largest difference of a bf16-autocast "
             "output from fp32 (trained weights for photos-rgb; a random head on the others).", "",
             "| network | parameters | GFLOP / MP | s / MP fp32 | s / MP channels_last | s / MP bf16 | bf16 max dev "
             "| CLI denoise 256^2 (s) | the same in fp32 (s) |", "|---|---|---|---|---|---|---|---|---|"]
    lines += [f"| {n} | {p / 1e6:.2f} M | {g:.1f} | {a:.2f} | {b:.2f} | {c:.2f} | {d:.3f} | {e:.1f} | {f:.1f} |"
              for n, p, g, a, b, c, d, e, f in rows]
    fits = [r for r in rows if r[8] <= 5.0]
    if fits:
        best = max(fits, key=lambda r: r[1])
        lines += ["", f"The largest candidate whose default denoise of 256 x 256 stays within 5 s on 2 cores even "
                  f"in fp32 (a CPU without native bf16): **{best[0]}** ({best[1] / 1e6:.2f} M parameters, "
                  f"{best[8]:.1f} s fp32, {best[7]:.1f} s here). That is the network to train as photos-rgb v2 on "
                  "a GPU (`--net unet-te` for the 3.6 M one; docs/gpu.md). Quality is measured only after training: "
                  "an untrained candidate has no PSNR to show."]
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text("\n".join(lines) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
