"""Command line: ``dpm-studio [gui] | train | evaluate | checkpoints``.

Every long job is a core generator; this module only renders its records (a progress
line on stderr) and turns user errors into one clear line and exit status 2.
"""

from __future__ import annotations

import argparse
import csv
import json
import platform
import sys
import time
from pathlib import Path

from . import __version__


class UserError(Exception):
    """Something the user can fix; printed as one line, exit status 2."""


# -- progress on stderr ------------------------------------------------------------------
class Progress:
    def __init__(self, label: str, total: int | None, stream=None):
        self.label, self.total = label, total
        self.stream = stream or sys.stderr
        self.t0 = time.perf_counter()
        self.last = 0.0
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()

    def update(self, done: int, extra: str = "", force: bool = False):
        now = time.perf_counter()
        if not force and now - self.last < (0.2 if self.tty else 5.0):
            return
        self.last = now
        el = now - self.t0
        if self.total:
            frac = min(1.0, done / self.total)
            eta = el / frac - el if frac > 0 else float("nan")
            bar = "#" * int(24 * frac)
            text = f"{self.label} [{bar:<24}] {done}/{self.total} {el:5.0f}s eta {eta:4.0f}s {extra}"
        else:
            text = f"{self.label} {done} {el:5.0f}s {extra}"
        self.stream.write(("\r" + text[:150]) if self.tty else text + "\n")
        self.stream.flush()

    def close(self):
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()


# -- checkpoints ---------------------------------------------------------------------------
def _load(name_or_path, device="cpu"):
    from .core.checkpoint import load, resolve

    return load(resolve(name_or_path), device=device)


def cmd_checkpoints(args) -> int:
    from .core.checkpoint import list_cards

    cards = list_cards()
    if args.json:
        print(json.dumps(cards))
        return 0
    if not cards:
        print("no checkpoints found")
        return 0
    for c in cards:
        b = c.get("bound", {})
        bound = f"K = {b['K']:.3f} {b.get('units', '')}" if "K" in b else "bound not measured"
        print(f"{c['name']:<16} {c['family']:<9} {c.get('description', '')[:60]:<60} {bound}")
    return 0


# -- evaluate ---------------------------------------------------------------------------------
def measure(loaded, *, n_mc=None, seed=0, n_traj=0, progress=None) -> dict:
    """The bound of a loaded checkpoint on its preset's held-out data, as a JSON-able dict."""
    import torch

    from .core.bound import evaluate_bound, log_likelihood_is
    from .core.presets import get_preset

    recipe = loaded.card["data"].get("recipe")
    try:
        preset = get_preset(recipe)
    except ValueError:
        raise UserError(f"checkpoint {loaded.name!r} has data recipe {recipe!r}, which has no held-out set") from None
    x0 = preset.held_out()
    mc = n_mc or preset.eval_mc
    gen = torch.Generator().manual_seed(seed)
    res = None
    for rec in evaluate_bound(loaded.diffusion, loaded.net, x0, unit_size=preset.unit_size, units=preset.units,
                              n_mc=mc, generator=gen):
        if progress:
            progress.update(rec.done, "bound")
        res = rec.result
    out = {"name": loaded.name, **res.as_dict(), "n_mc": mc}
    if n_traj:
        for rec in log_likelihood_is(loaded.diffusion, loaded.net, x0, n_traj, generator=gen):
            if rec.result is not None:
                lp = rec.result["log_p"]
                out["log_p_is"] = float(lp.mean()) / (0.6931471805599453 * preset.unit_size)
                out["is_trajectories"] = n_traj
    if preset.paper:
        out["paper"] = preset.paper
    return out


def cmd_evaluate(args) -> int:
    loaded = _load(args.checkpoint)
    prog = Progress(f"evaluate {loaded.name}", None)
    out = measure(loaded, n_mc=args.mc, seed=args.seed, n_traj=args.importance, progress=prog)
    prog.close()
    if not args.json:
        print(f"{out['name']}: K = {out['K']:.4f} +- {out['K_stderr']:.4f} {out['units']}, "
              f"K - L_null = {out['K_minus_L_null']:.4f}, ELBO = {out['elbo']:.4f}, n = {out['n']}")
        if "paper" in out:
            print(f"  paper: K = {out['paper']['K']}, K - L_null = {out['paper']['K_minus_L_null']}")
        if "log_p_is" in out:
            print(f"  importance-sampled log p ({out['is_trajectories']} trajectories) = {out['log_p_is']:.4f}")
    print(json.dumps(out))
    return 0


# -- train -------------------------------------------------------------------------------------
def _hardware() -> dict:
    import torch

    return {"cpu": platform.processor() or platform.machine(), "threads": torch.get_num_threads(),
            "torch": torch.__version__, "device": "cpu"}


def cmd_train(args) -> int:
    import torch

    from .core import checkpoint
    from .core.presets import get_preset
    from .core.training import Model, TrainState, train

    try:
        preset = get_preset(args.preset)
    except ValueError as e:
        raise UserError(str(e)) from None
    if args.threads:
        torch.set_num_threads(args.threads)
    out = Path(args.output)
    state_path = out.with_name(out.name + ".train")
    torch.manual_seed(args.seed)
    diffusion, net = preset.build()
    state = TrainState(Model(diffusion, net), lr=args.lr or preset.lr, optimizer=args.optimizer)
    if args.resume:
        if not Path(str(state_path) + ".safetensors").exists():
            raise UserError(f"nothing to resume: {state_path}.safetensors does not exist")
        from safetensors.torch import load_file

        meta = json.loads(Path(str(state_path) + ".json").read_text())
        state.restore(load_file(str(state_path) + ".safetensors"), meta)
    batch = args.batch or preset.batch_size
    total = args.total_steps or preset.total_steps

    def save_all(final=False, bound=None):
        from safetensors.torch import save_file

        card = {"name": args.name or out.stem, "description": preset.description,
                "network": preset.net_spec, "data": preset.card_data(),
                "training": {"preset": preset.name, "steps": state.step, "batch_size": batch,
                             "optimizer": args.optimizer, "objective": preset.objective,
                             "lr": state.base_lr, "ema_decay": state.ema_decay,
                             "seed": args.seed, "wall_time_s": round(state.elapsed, 1),
                             "examples_per_s": round(state.step * batch / max(state.elapsed, 1e-9), 1),
                             "hardware": _hardware(), "command": " ".join(sys.argv)}}
        if bound:
            card["bound"] = bound
        checkpoint.save(out, state.ema.diffusion, state.ema.net, card)
        checkpoint._atomic_write(Path(str(state_path) + ".safetensors"),
                                 lambda tmp: save_file(state.tensors(), tmp))
        checkpoint._atomic_write(Path(str(state_path) + ".json"),
                                 lambda tmp: Path(tmp).write_text(json.dumps(state.meta())))

    log = open(args.log, "a", newline="") if args.log else None
    writer = csv.writer(log) if log else None
    if writer and log.tell() == 0:
        writer.writerow(["step", "loss", "K", "K_avg", "lr", "examples_per_s", "elapsed_s", "grad_norm"])
    prog = Progress(f"train {preset.name}", args.steps)
    last_save = time.perf_counter()
    try:
        for rec in train(state, lambda g: preset.batch(batch, g), steps=args.steps, minutes=args.minutes,
                         warmup=preset.warmup, unit_size=preset.unit_size, seed=args.seed, total_steps=total,
                         objective=preset.objective):
            if writer and rec.step % 10 == 0:
                writer.writerow([rec.step, f"{rec.loss:.6g}", f"{rec.K:.6g}", f"{rec.K_avg:.6g}", f"{rec.lr:.3g}",
                                 f"{rec.examples_per_s:.1f}", f"{rec.elapsed_s:.1f}", f"{rec.grad_norm:.4g}"])
            prog.update(rec.step if args.steps is None else rec.step - (state.step - rec.step),
                        f"K~{rec.K_avg:.3f} {preset.units}")
            if time.perf_counter() - last_save > args.save_every * 60:
                save_all()
                last_save = time.perf_counter()
    finally:
        if log:
            log.close()
        prog.close()
    bound = None
    if args.eval:
        save_all()
        loaded = _load(out)
        res = measure(loaded, seed=args.seed + 1)
        bound = {k: res[k] for k in ("K", "K_stderr", "K_minus_L_null", "L_null", "elbo", "units", "n", "n_mc")}
        bound["held_out"] = "preset held-out set (see data)"
        if "paper" in res:
            bound["paper"] = res["paper"]
    save_all(final=True, bound=bound)
    print(json.dumps({"checkpoint": str(out.with_suffix(".json")), "steps": state.step, "bound": bound}))
    return 0


# -- gui ---------------------------------------------------------------------------------------
def cmd_gui(args) -> int:
    try:
        from .gui.app import run_app
    except ImportError as e:
        raise UserError(f"the desktop app cannot start: {e}") from None
    return run_app(getattr(args, "image", None))


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="dpm-studio", description="Inpaint and denoise images with diffusion "
                                "probabilistic models (Sohl-Dickstein et al. 2015).")
    p.add_argument("--version", action="version", version=f"dpm-studio {__version__}")
    sub = p.add_subparsers(dest="cmd")

    g = sub.add_parser("gui", help="open the desktop app (the default)")
    g.add_argument("image", nargs="?", help="an image to open")

    c = sub.add_parser("checkpoints", help="list the available checkpoints")
    c.add_argument("--json", action="store_true", help="print the cards as a JSON list")

    e = sub.add_parser("evaluate", help="measure a checkpoint's bound K on held-out data")
    e.add_argument("checkpoint", help="a shipped checkpoint's name or a path")
    e.add_argument("--json", action="store_true", help="(the last line is always JSON)")
    e.add_argument("--mc", type=int, default=None, help="draws of x_t per example and step")
    e.add_argument("--importance", type=int, default=0, metavar="N",
                   help="also estimate log p(x_0) from N forward trajectories")
    e.add_argument("--seed", type=int, default=0)

    t = sub.add_parser("train", help="train a model from a preset")
    t.add_argument("preset", help="heartbeat | swiss-roll | photos-rgb | textures-gray | dead-leaves | "
                   "digits-binary")
    t.add_argument("-o", "--output", required=True, help="checkpoint path (without extension)")
    t.add_argument("--name", help="name on the card (default: the file name)")
    t.add_argument("--minutes", type=float, default=None, help="time budget")
    t.add_argument("--steps", type=int, default=None, help="optimiser steps (default: until --minutes)")
    t.add_argument("--total-steps", type=int, default=None, help="length of the learning-rate decay")
    t.add_argument("--batch", type=int, default=None)
    t.add_argument("--lr", type=float, default=None)
    t.add_argument("--optimizer", choices=("adam", "rmsprop"), default="adam")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--resume", action="store_true", help="continue from OUTPUT.train.*")
    t.add_argument("--log", help="append a CSV log of the steps here")
    t.add_argument("--save-every", type=float, default=5.0, help="minutes between checkpoints")
    t.add_argument("--no-eval", dest="eval", action="store_false", help="skip measuring the bound at the end")
    t.add_argument("--threads", type=int, default=None, help="CPU threads for torch")
    return p


COMMANDS = {"gui": cmd_gui, "checkpoints": cmd_checkpoints, "evaluate": cmd_evaluate, "train": cmd_train}


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    cmd = args.cmd or "gui"
    if cmd == "train" and args.minutes is None and args.steps is None:
        parser.error("train needs --minutes or --steps")
    from .core.checkpoint import CheckpointError

    try:
        return COMMANDS[cmd](args)
    except (UserError, CheckpointError) as e:
        print(f"dpm-studio: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("dpm-studio: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
