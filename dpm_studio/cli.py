"""Command line: ``dpm-studio [gui] | inpaint | denoise | sample | train | evaluate | checkpoints | self-test``.

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
from . import cliargs as A


class UserError(Exception):
    """Something the user can fix; printed as one line, exit status 2."""


# -- progress on stderr ------------------------------------------------------------------
class Progress:
    def __init__(self, label: str, total: int | None, stream=None, enabled: bool = True):
        self.label, self.total = label, total
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.t0 = time.perf_counter()
        self.last = 0.0
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()

    def update(self, done: int, extra: str = "", force: bool = False):
        now = time.perf_counter()
        if not self.enabled:
            return
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
        if self.tty and self.enabled:
            self.stream.write("\n")
            self.stream.flush()


# -- checkpoints ---------------------------------------------------------------------------
def _load(name_or_path, device="cpu"):
    from .core.checkpoint import load, resolve
    from .paths import shipped_checkpoints_dir

    loaded = load(resolve(name_or_path), device=device)
    shipped = shipped_checkpoints_dir() / f"{loaded.name}.json"
    if shipped.is_file() and loaded.path.resolve() != shipped.resolve():
        print(f"dpm-studio: note: using {loaded.path}, which hides the shipped checkpoint {loaded.name}",
              file=sys.stderr)
    return loaded


def cmd_checkpoints(args) -> int:
    from .core.checkpoint import is_image_card, scan_cards

    from .paths import checkpoint_dirs, checkpoint_source

    cards, skipped = scan_cards()
    for line in skipped:  # a bad card never hides the good ones
        print(f"dpm-studio: warning: {line}", file=sys.stderr)
    cards = [{**c, "where": checkpoint_source(c["path"])} for c in cards]
    if args.json:
        print(json.dumps([{**c, "image_model": is_image_card(c)} for c in cards]))
        return 0
    print("checkpoint folders, searched in this order (the first of a name wins):")
    for folder in checkpoint_dirs():
        note = "" if folder.is_dir() else "  (does not exist yet)"
        print(f"  {checkpoint_source(folder / 'x.json'):<8} {folder}{note}")
    if not cards:
        print("no checkpoints found")
        return 0
    for c in cards:
        b = c.get("bound", {})
        bound = f"K = {b['K']:.3f} {b.get('units', '')}" if isinstance(b.get("K"), (int, float)) \
            else "bound not measured"
        use = "images" if is_image_card(c) else "not for images"
        print(f"{c['name']:<16} {c['family']:<9} {use:<14} {c.get('description', '')[:60]:<60} {bound:<26} "
              f"{c['where']:<8} {c['path']}")
        for other in c.get("shadows", []):
            print(f"{'':<16} (hides {other})")
    return 0


# -- evaluate ---------------------------------------------------------------------------------
def measure(loaded, *, n_mc=None, seed=0, n_traj=0, progress=None, device="cpu") -> dict:
    """The bound of a loaded checkpoint (on ``device``) on its preset's held-out data, as a JSON-able dict."""
    from .core.rng import make_generator
    from .core.bound import estimate_bound, evaluate_bound, log_likelihood_is
    from .core.presets import preset_for_card

    recipe = loaded.card["data"].get("recipe")
    try:
        preset = preset_for_card(loaded.card)
    except (ValueError, KeyError, OSError):
        raise UserError(f"checkpoint {loaded.name!r} has data recipe {recipe!r}, which has no held-out set "
                        "here") from None
    try:
        x0 = preset.held_out().to(device)
    except ValueError as e:  # e.g. a wallpaper file that differs from the one the card lists
        raise UserError(str(e)) from None
    mc = n_mc or preset.eval_mc
    gen = make_generator(device, seed)
    res = None
    if preset.eval_n_t:
        gen_b = estimate_bound(loaded.diffusion, loaded.net, x0, n_t=preset.eval_n_t, unit_size=preset.unit_size,
                               units=preset.units, generator=gen)
    else:
        gen_b = evaluate_bound(loaded.diffusion, loaded.net, x0, unit_size=preset.unit_size, units=preset.units,
                               n_mc=mc, generator=gen)
    for rec in gen_b:
        if progress:
            progress.update(rec.done, "bound")
        res = rec.result
    out = {"name": loaded.name, **res.as_dict(), "n_mc": mc if not preset.eval_n_t else 1}
    if preset.eval_n_t:
        out["n_t"] = preset.eval_n_t
    if n_traj:
        for rec in log_likelihood_is(loaded.diffusion, loaded.net, x0, n_traj, generator=gen):
            if rec.result is not None:
                lp = rec.result["log_p"]
                out["log_p_is"] = float(lp.mean()) / (0.6931471805599453 * preset.unit_size)
                out["is_trajectories"] = n_traj
    if preset.paper:
        out["paper"] = preset.paper
    return _json_safe(out)


def _json_safe(obj):
    """Strict JSON: a term an estimate does not measure (NaN) becomes null."""
    if isinstance(obj, dict):
        return {k: _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_json_safe(v) for v in obj]
    if isinstance(obj, float) and obj != obj:
        return None
    return obj


BOUND_KEYS = ("K", "K_stderr", "K_minus_L_null", "L_null", "elbo", "K_per_dim", "units", "n", "n_mc", "n_t")


def bound_entry(res: dict) -> dict:
    """The card's ``bound`` from a :func:`measure` result."""
    bound = {k: res[k] for k in BOUND_KEYS if k in res}
    bound["held_out"] = "the preset's held-out set (see data)"
    if "paper" in res:
        bound["paper"] = res["paper"]
    return bound


def cmd_evaluate(args) -> int:
    device = _device(args.device)
    loaded = _load(args.checkpoint, device)
    prog = Progress(f"evaluate {loaded.name}", None)
    out = measure(loaded, n_mc=args.mc, seed=args.seed, n_traj=args.importance, progress=prog, device=device)
    prog.close()
    if args.update_card:
        from .core import checkpoint

        card = checkpoint.read_card(loaded.path)
        path = Path(card.pop("_path"))
        card["bound"] = bound_entry(out)
        checkpoint._atomic_write(path, lambda tmp: Path(tmp).write_text(json.dumps(card, indent=2) + "\n"))
    if not args.json:
        def num(v):  # a term this estimate does not measure is null in the JSON
            return "not measured" if v is None else f"{v:.4f}"

        print(f"{out['name']}: K = {num(out['K'])} +- {num(out['K_stderr'])} {out['units']}, "
              f"K - L_null = {num(out['K_minus_L_null'])}, ELBO = {num(out['elbo'])}, n = {out['n']}")
        if "paper" in out:
            print(f"  paper: K = {out['paper']['K']}, K - L_null = {out['paper']['K_minus_L_null']}")
        if "log_p_is" in out:
            print(f"  importance-sampled log p ({out['is_trajectories']} trajectories) = {out['log_p_is']:.4f}")
    print(json.dumps(out))
    return 0


# -- train -------------------------------------------------------------------------------------
def _hardware(device="cpu", processes: int = 1) -> dict:
    import torch

    hw = {"cpu": platform.processor() or platform.machine(), "threads": torch.get_num_threads(),
          "torch": torch.__version__, "device": str(device)}
    if str(device).startswith("cuda"):
        hw["gpu"] = torch.cuda.get_device_name(torch.device(device))
    if processes > 1:
        hw["processes"] = processes
    return hw


def cmd_train(args) -> int:
    import torch

    from .core import checkpoint
    from .core.presets import from_folder, get_preset, with_net

    if not (args.resume or args.overwrite):
        out = Path(args.output)
        existing = [p for p in checkpoint.paths_for(out) if p.exists()]
        if existing:
            raise UserError(f"{existing[0]} exists: pass --resume to continue that run or --overwrite to start "
                            "a new one in its place")
    try:
        preset = with_net(get_preset(args.preset), args.net)
        if args.data:
            if not Path(args.data).expanduser().is_dir():
                raise ValueError(f"--data {args.data!r} is not a folder")
            preset = from_folder(preset, args.data)
            preset.card_data()  # reads the folder now: a bad folder is a clear error before training
            preset.held_out()   # and its images must be wide enough to hold patches out
    except ValueError as e:
        raise UserError(str(e)) from None
    if args.threads:
        torch.set_num_threads(args.threads)
    rank, world, device = _distributed_setup(args.device)
    try:
        return _train(args, preset, rank, device)
    finally:
        if world:
            import torch.distributed as dist

            dist.destroy_process_group()


def _init_from(state, name_or_path, device):
    """Copy a checkpoint's weights into the model and its EMA (a warm start, step 0)."""
    loaded = _load(name_or_path, device)
    for module in (state.model, state.ema):
        try:
            module.net.load_state_dict(loaded.net.state_dict())
        except RuntimeError:
            raise UserError(f"--init {name_or_path}: its network is not this preset's "
                            f"({loaded.card.get('network')})") from None


def _distributed_setup(device: str):
    """Join the torchrun group when launched by torchrun; returns (rank, world size or 0, device).

    ``torchrun --nproc-per-node N -m dpm_studio train ...`` sets RANK, WORLD_SIZE and
    LOCAL_RANK; each process then trains on its own batches, rank 0 alone logs and saves.
    NCCL for GPUs, gloo for CPUs.
    """
    import os

    import torch

    if "WORLD_SIZE" not in os.environ or "RANK" not in os.environ:
        return 0, 0, _device(device)
    import torch.distributed as dist

    local = int(os.environ.get("LOCAL_RANK", 0))
    if device.startswith("cuda"):
        if not torch.cuda.is_available():
            raise UserError("--device cuda: no CUDA device here (use --device cpu)")
        torch.cuda.set_device(local)
        device = f"cuda:{local}"
    backend = "nccl" if device.startswith("cuda") else "gloo"
    dist.init_process_group(backend)
    return dist.get_rank(), dist.get_world_size(), device


def _train(args, preset, rank: int, device: str) -> int:
    import torch

    from .core import checkpoint
    from .core.training import Model, TrainState, distributed_context, train

    from .core.memory import check_training
    from .core.training import load_state, save_state, state_files

    lead = rank == 0  # under torchrun only rank 0 logs, saves and measures
    loop = args.loop if args.loop != "auto" else ("fast" if str(device).startswith("cuda") else "plain")
    world = distributed_context()[1]
    out = Path(args.output)
    state_path = out.with_name(out.name + ".train")
    torch.manual_seed(args.seed)
    diffusion, net = preset.build()
    if args.parametrisation:
        from .core.gaussian import PARAMETRISATIONS

        if diffusion.family != "gaussian" or args.parametrisation not in PARAMETRISATIONS:
            raise UserError(f"--parametrisation {args.parametrisation!r} needs a Gaussian preset and one of "
                            f"{', '.join(PARAMETRISATIONS)}")
        if preset.objective == "hybrid" and args.parametrisation != "eps":
            raise UserError(f"preset {preset.name} trains with the hybrid objective, which needs 'eps'")
        diffusion.parametrisation = args.parametrisation
    model = Model(diffusion, net).to(device)
    state = TrainState(model, lr=args.lr or preset.lr, optimizer=args.optimizer)
    if args.resume:
        missing = [f for f in state_files(state_path) if not f.exists()]
        if missing:
            raise UserError(f"nothing to resume: {missing[0]} does not exist")
        from safetensors import SafetensorError

        try:
            state.restore(*load_state(state_path, device))
        except (ValueError, OSError, SafetensorError) as e:  # a FIFO, bad JSON, a truncated file
            raise UserError(f"cannot resume from {state_path}: {str(e).splitlines()[0][:200]}") from None
        except RuntimeError as e:
            first = str(e).strip().splitlines()[0][:200]
            raise UserError(f"{state_path} does not fit this model ({first}); give the same preset and --net as "
                            "the run being resumed") from None
    elif args.init:
        _init_from(state, args.init, device)
    batch = args.batch or preset.batch_size
    try:
        check_training(preset.net_spec, batch, preset.unit_size)
    except ValueError as e:
        raise UserError(str(e)) from None
    total = args.total_steps or preset.total_steps
    commands = []
    if args.resume and checkpoint.paths_for(out)[1].exists():
        try:
            old_card = checkpoint.read_card(out)
        except checkpoint.CheckpointError:
            old_card = {}
        commands = list(old_card.get("training", {}).get("commands", []))
        from .core.presets import data_change

        change = data_change(old_card.get("data", {}), preset.card_data())
        if change and lead:
            print(f"dpm-studio: warning: resuming on other data than the run so far ({change}); "
                  "the card will record the new data and scaling", file=sys.stderr)
    commands.append(" ".join(["dpm-studio", *sys.argv[1:]]))

    def save_all(final=False, bound=None):
        card = {"name": args.name or out.stem, "description": preset.description,
                "network": preset.net_spec, "data": preset.card_data(),
                "training": {"preset": preset.name, "steps": state.step, "batch_size": batch * world,
                             **({"processes": world} if world > 1 else {}),
                             "optimizer": args.optimizer, "objective": preset.objective,
                             **({"t_focus": {"sigma_image_units": list(preset.t_focus["sigma"]),
                                             "fraction": preset.t_focus["fraction"],
                                             "note": "t drawn more often where the forward noise is in "
                                                     "this band; the bound term is importance-weighted"}}
                                if preset.t_focus else {}),
                             "lr": state.base_lr, "ema_decay": state.ema_decay,
                             "seed": args.seed, "wall_time_s": round(state.elapsed, 1),
                             "examples_per_s": round(state.step * batch * world / max(state.elapsed, 1e-9), 1),
                             "hardware": _hardware(device, world), "loop": loop,
                             **({"init": args.init} if args.init else {}), "commands": commands}}
        if bound:
            card["bound"] = bound
        from safetensors import SafetensorError

        try:  # atomic writes: a failed save leaves the last good checkpoint as it was
            checkpoint.save(out, state.ema.diffusion, state.ema.net, card)
            save_state(state_path, state)
        except (OSError, SafetensorError) as e:
            why = (getattr(e, "strerror", None) or str(e)).splitlines()[0][:160]
            msg = f"could not save {out} at step {state.step} ({why}); the last checkpoint saved is kept"
            if final:
                raise UserError(msg) from None
            print(f"dpm-studio: warning: {msg}; training goes on", file=sys.stderr)

    log = open(args.log, "a", newline="") if args.log and lead else None
    writer = csv.writer(log) if log else None
    if writer and log.tell() == 0:
        writer.writerow(["step", "loss", "K", "K_avg", "lr", "examples_per_s", "elapsed_s", "grad_norm"])
    prog = Progress(f"train {preset.name}", args.steps, enabled=lead)
    last_save = time.perf_counter()
    common = dict(steps=args.steps, minutes=args.minutes, warmup=preset.warmup, unit_size=preset.unit_size,
                  seed=args.seed, total_steps=total, objective=preset.objective, device=device,
                  t_probs=preset.t_probs(state.model.diffusion) if preset.objective == "hybrid" else None)
    if loop == "fast":
        from .core.fasttrain import device_data, train_fast

        records = train_fast(state, device_data(preset, batch, device, args.channels_last), batch=batch,
                             compile=args.compile, amp=args.amp, channels_last=args.channels_last,
                             sync_every=args.sync_every, **common)
    else:
        records = train(state, lambda g: preset.batch(batch, g), **common)
    try:
        for rec in records:
            if writer and rec.step % 10 == 0:
                try:
                    writer.writerow([rec.step, f"{rec.loss:.6g}", f"{rec.K:.6g}", f"{rec.K_avg:.6g}", f"{rec.lr:.3g}",
                                     f"{rec.examples_per_s:.1f}", f"{rec.elapsed_s:.1f}", f"{rec.grad_norm:.4g}"])
                    log.flush()  # a long run's log is read while it runs
                except OSError as e:  # a full log disk must not stop (or lose) the training
                    print(f"dpm-studio: warning: the log {args.log} stopped at step {rec.step}: "
                          f"{e.strerror or e}; training goes on", file=sys.stderr)
                    writer = None
            prog.update(rec.step if args.steps is None else rec.step - (state.step - rec.step),
                        f"K~{rec.K_avg:.3f} {preset.units}")
            if lead and time.perf_counter() - last_save > args.save_every * 60:
                save_all()
                last_save = time.perf_counter()
    finally:
        if log:
            try:
                log.close()
            except OSError:  # the full disk already warned about
                pass
        prog.close()
    if not lead:
        return 0
    bound = None
    if args.eval:
        save_all()
        loaded = _load(out, device)
        bound = bound_entry(measure(loaded, seed=args.seed + 1, device=device))
    save_all(final=True, bound=bound)
    print(json.dumps({"checkpoint": str(out.with_suffix(".json")), "steps": state.step, "bound": bound}))
    return 0


# -- restoration: inpaint, denoise, sample -----------------------------------------------------
from .paths import DEFAULT_CHECKPOINT  # noqa: E402


def _device(name: str) -> str:
    from .core.devices import check_device

    try:
        return check_device(name)
    except ValueError as e:
        raise UserError(str(e)) from None


def _run_to_end(gen, label: str, progress=None):
    prog = progress or Progress(label, None)
    rec = None
    try:
        for rec in gen:
            prog.total = rec.total
            prog.update(rec.index + 1, force=rec.done)
    except ValueError as e:  # the tasks' refusals are meant for the user
        raise UserError(str(e)) from None
    except (MemoryError, RuntimeError) as e:
        from .core.memory import is_allocation_failure

        if not is_allocation_failure(e):  # "can't allocate memory", "out of memory", MemoryError, ...
            raise
        raise UserError("ran out of memory; try a smaller image, fewer --samples or a smaller --tile") from None
    finally:
        prog.close()
    import numpy as np

    if rec is not None and not np.isfinite(rec.image).all():
        raise UserError("the model produced NaN or infinite values (broken weights or a bad card): nothing was saved")
    return rec.image


def _same_file(a: Path, b: Path) -> bool:
    """True when writing ``a`` would replace ``b``: the same path, a link to it, or a hard link."""
    import os

    try:
        if a.resolve() == b.resolve():
            return True
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def _check_output(args, data):
    """Refuse a bad output before any work is done: unknown format, or the input itself."""
    from .imageio import format_for_path

    out = Path(args.output)
    format_for_path(out)
    inputs = [("input", data.path if data is not None else None), ("mask", getattr(args, "mask", None)),
              ("checkpoint", getattr(args, "checkpoint", None))]
    for role, given in inputs:
        if given and not args.overwrite and _same_file(out, Path(given)):
            raise UserError(f"refusing to overwrite the {role} {out.name}; choose another -o or pass --overwrite")
    folder = out.parent if str(out.parent) else Path(".")
    if not folder.is_dir():
        raise UserError(f"cannot save {out.name}: the folder {folder} does not exist")
    if out.is_dir():
        raise UserError(f"cannot save {out.name}: {out} is a folder; give a file name with -o")


def _save(args, pixels, data, loaded, request):
    """Write the result with the one metadata schema: the runs that made it, this one last."""
    from .core.requests import saved_metadata
    from .imageio import export_options, save_image

    out = Path(args.output)
    alpha = data.alpha if data is not None else None
    before = data.metadata.get("runs", []) if data is not None and isinstance(data.metadata, dict) else []
    meta = saved_metadata([*before, request.metadata(loaded)], __version__)
    save_image(out, pixels, alpha, quality=args.quality, metadata=meta, **export_options(data))
    print(str(out))


def _request(cls, **settings):
    """A validated run request from the options given (None: the request's default)."""
    try:
        return cls(**{k: v for k, v in settings.items() if v is not None}).validate()
    except ValueError as e:
        raise UserError(str(e)) from None


def _read(path):
    from .imageio import load_image

    data = load_image(path)
    for note in data.notes:  # e.g. an animation: only its first frame is used
        print(f"dpm-studio: note: {note}", file=sys.stderr)
    return data


def _inpaint_request(args):
    from .core.requests import InpaintRequest

    return _request(InpaintRequest, steps=args.steps, seed=args.seed, samples=args.samples, mode=args.mode,
                    start=args.start, start_sigma=args.start_sigma, jump_length=args.jump_length,
                    jump_n_sample=args.jump_n, variance=args.variance, device=args.device)


def cmd_inpaint(args, loaded=None, progress=None) -> int:
    """One image; several inputs or a folder make a batch (:mod:`.batch`, which passes the loaded
    checkpoint and its progress display)."""
    from . import batch
    from .core.tasks import run_task
    from .imageio import load_mask

    if batch.is_batch(args):
        return batch.run(args, "inpaint")
    req = _inpaint_request(args)
    data = _read(args.input)
    _check_output(args, data)
    mask = load_mask(args.mask, shape=data.pixels.shape[:2])
    mask = mask if args.soft_mask else (mask > 0).astype("float32")
    if not mask.any():
        raise UserError("the mask is empty: nothing to inpaint")
    if mask.min() > 0:
        print("dpm-studio: note: the mask covers the whole image: inpainting becomes unconditional sampling",
              file=sys.stderr)
    elif (mask > 0).mean() > 0.95:
        print(f"dpm-studio: note: the mask covers {100 * (mask > 0).mean():.1f}% of the image: the little left "
              "to condition on makes this close to unconditional sampling", file=sys.stderr)
    loaded = loaded or _load(args.checkpoint, _device(args.device))
    result = _run_to_end(run_task(loaded, req, data.pixels, mask=mask), "inpaint", progress)
    _save(args, result, data, loaded, req)
    return 0


def _denoise_settings(args) -> dict:
    """The denoising settings but sigma, checked before any image is read."""
    from .core.requests import DenoiseRequest

    if args.variance != "learned" and args.method != "sample":
        raise UserError("--variance applies to sampled trajectories: add --method sample")
    if args.sigma is not None and args.sigma <= 0:
        raise UserError("--sigma must be positive (0-255 units)")
    settings = dict(steps=args.steps, seed=args.seed, samples=args.samples, method=args.method,
                    ensemble=args.ensemble, tile=args.tile, tile_batch=args.tile_batch, variance=args.variance,
                    device=args.device, clipping=args.clipping)
    _request(DenoiseRequest, sigma=1.0, **settings)  # a bad option is refused before the image is read
    return settings


def cmd_denoise(args, loaded=None, progress=None) -> int:
    """One image, or a batch (as :func:`cmd_inpaint`)."""
    from . import batch
    from .core.noise import estimate_noise_sigma
    from .core.requests import DenoiseRequest
    from .core.tasks import run_task

    if batch.is_batch(args):
        return batch.run(args, "denoise")
    settings = _denoise_settings(args)
    data = _read(args.input)
    _check_output(args, data)
    if args.sigma is None:
        sigma = estimate_noise_sigma(data.pixels)
        print(f"dpm-studio: estimated noise sigma = {sigma * 255:.1f} (0-255 units)", file=sys.stderr)
        if sigma <= 0:
            raise UserError("the image shows no measurable noise; give --sigma")
    else:
        sigma = args.sigma / 255.0
    req = _request(DenoiseRequest, sigma=sigma, levels=2 ** data.bit_depth - 1, **settings)
    loaded = loaded or _load(args.checkpoint, _device(args.device))
    result = _run_to_end(run_task(loaded, req, data.pixels), "denoise", progress)
    _save(args, result, data, loaded, req)
    return 0


def cmd_sample(args) -> int:
    from .core.requests import SampleRequest
    from .core.tasks import run_task

    w, h = args.size  # parsed and range-checked by argparse (cliargs.parse_size)
    req = _request(SampleRequest, size=(h, w), steps=args.steps, seed=args.seed, variance=args.variance,
                   device=args.device)
    _check_output(args, None)
    loaded = _load(args.checkpoint, _device(args.device))
    result = _run_to_end(run_task(loaded, req), "sample")
    _save(args, result, None, loaded, req)
    return 0


def _restore_args(p, checkpoint_required=False):
    p.add_argument("-o", "--output", required=True, help="output image (PNG, JPEG, TIFF, BMP, WebP); with several "
                   "inputs or a folder, the output folder (each result keeps its input's name)")
    p.add_argument("--checkpoint", default=None if checkpoint_required else DEFAULT_CHECKPOINT,
                   required=checkpoint_required, help="a shipped checkpoint's name or a path")
    p.add_argument("--steps", type=A.STEPS, default=None,
                   help="reverse steps (default: inpaint 20 respaced from the start step, denoise and sample all)")
    p.add_argument("--seed", type=A.SEED, default=0)
    p.add_argument("--variance", choices=("learned", "large"), default="learned",
                   help="reverse-step variance of a Gaussian model: the model's learned one (default) or the "
                        "forward rate 1 - ab_t/ab_s, which leaves more texture and some grain")
    p.add_argument("--device", default="cpu", help="cpu or cuda (cuda:N for one of several cards)")
    p.add_argument("--quality", type=A.QUALITY, default=95, help="JPEG/WebP quality")
    p.add_argument("--overwrite", action="store_true", help="allow writing over the input file; in a batch, also "
                   "redo images whose output exists (skipped otherwise, so an interrupted batch resumes)")


# -- gui ---------------------------------------------------------------------------------------
def cmd_gui(args) -> int:
    from .display import display_problem

    problem = display_problem()  # before Qt starts: Qt aborts the process instead of saying what to install
    if problem:
        raise UserError(problem)
    try:
        from .gui.app import run_app
    except ImportError as e:
        raise UserError(f"the desktop app cannot start: {e}") from None
    return run_app(getattr(args, "image", None))


def cmd_selftest(args) -> int:
    try:
        from .gui.selftest import main as selftest
    except ImportError as e:
        raise UserError(f"the desktop app cannot start: {e}") from None
    return selftest(timeout_s=args.timeout, steps=args.steps, output_dir=args.output_dir, keep=args.keep,
                    offscreen=args.offscreen)


def build_parser() -> argparse.ArgumentParser:
    p = A.Parser(prog="dpm-studio", description="Inpaint and denoise images with diffusion "
                                "probabilistic models (Sohl-Dickstein et al. 2015).")
    p.add_argument("--version", action="version", version=f"dpm-studio {__version__}")
    sub = p.add_subparsers(dest="cmd")

    g = sub.add_parser("gui", help="open the desktop app (the default)")
    g.add_argument("image", nargs="?", help="an image to open")

    st = sub.add_parser("self-test", help="check the installed app end to end (headless when there is no "
                        "display); one JSON line, exit 0 when every check held")
    st.add_argument("--timeout", type=A.TIMEOUT, default=300.0, help="seconds before it gives up (default 300)")
    st.add_argument("--steps", type=A.STEPS, default=16, help="respaced reverse steps per run (default 16)")
    st.add_argument("--output-dir", default=None, help="keep the saved results here (default: a temporary "
                    "folder, removed unless a check fails)")
    st.add_argument("--keep", action="store_true", help="keep the temporary folder")
    st.add_argument("--offscreen", action="store_true", help="no window even when there is a display")

    c = sub.add_parser("checkpoints", help="list the available checkpoints")
    c.add_argument("--json", action="store_true", help="print the cards as a JSON list")

    e = sub.add_parser("evaluate", help="measure a checkpoint's bound K on held-out data")
    e.add_argument("checkpoint", help="a shipped checkpoint's name or a path")
    e.add_argument("--json", action="store_true", help="(the last line is always JSON)")
    e.add_argument("--mc", type=A.MC, default=None, help="draws of x_t per example and step")
    e.add_argument("--importance", type=A.IMPORTANCE, default=0, metavar="N",
                   help="also estimate log p(x_0) from N forward trajectories")
    e.add_argument("--seed", type=A.SEED, default=0)
    e.add_argument("--update-card", action="store_true", help="write the measured bound into the card")
    e.add_argument("--device", default="cpu", help="cpu or cuda")

    t = sub.add_parser("train", help="train a model from a preset")
    t.add_argument("preset", help="heartbeat | swiss-roll | photos-rgb | textures-gray | dead-leaves | "
                   "digits-binary")
    t.add_argument("-o", "--output", required=True, help="checkpoint path (without extension)")
    t.add_argument("--name", help="name on the card (default: the file name)")
    t.add_argument("--data", metavar="FOLDER", help="train the preset's model on your own images in FOLDER "
                   "(Gaussian image presets; the rightmost columns of each image are held out)")
    t.add_argument("--minutes", type=A.MINUTES, default=None, help="time budget")
    t.add_argument("--steps", type=A.STEPS, default=None, help="optimiser steps (default: until --minutes)")
    t.add_argument("--total-steps", type=A.STEPS, default=None, help="length of the learning-rate decay")
    t.add_argument("--batch", type=A.BATCH, default=None)
    t.add_argument("--lr", type=A.LR, default=None)
    t.add_argument("--optimizer", choices=("adam", "rmsprop"), default="adam")
    t.add_argument("--seed", type=A.SEED, default=0)
    t.add_argument("--overwrite", action="store_true", help="replace an existing checkpoint at OUTPUT (and its "
                   "resume state) with a new run")
    t.add_argument("--resume", action="store_true", help="continue from OUTPUT.train.*")
    t.add_argument("--log", "--csv-log", dest="log", help="append a CSV log of the steps here (under torchrun, "
                   "whose own options would swallow --log, spell it --csv-log)")
    t.add_argument("--save-every", type=A.MINUTES, default=5.0, help="minutes between checkpoints")
    t.add_argument("--no-eval", dest="eval", action="store_false", help="skip measuring the bound at the end")
    t.add_argument("--threads", type=A.THREADS, default=None, help="CPU threads for torch")
    t.add_argument("--device", default="cpu", help="cpu or cuda (under torchrun: each process's cuda:LOCAL_RANK)")
    t.add_argument("--net", default=None, help="the image presets' network: default, or unet-te (the 3.6 M "
                   "time-embedding U-Net: base 48, levels 1-2-2-2, two residual blocks)")
    t.add_argument("--init", metavar="CHECKPOINT", help="start from this checkpoint's weights (same network), "
                   "with a fresh optimiser and step count")
    t.add_argument("--loop", choices=("auto", "plain", "fast"), default="auto",
                   help="training loop: fast (data on the device, bf16 network, no per-step host sync) or plain; "
                        "auto (default) takes fast on cuda and plain elsewhere")
    t.add_argument("--compile", action="store_true", help="fast loop: torch.compile the network")
    t.add_argument("--no-amp", dest="amp", action="store_false", default=None,
                   help="fast loop: the network in fp32 (default on cuda: bf16 autocast)")
    t.add_argument("--no-channels-last", dest="channels_last", action="store_false", default=None,
                   help="fast loop: keep the image network's tensors contiguous (default on cuda: channels_last)")
    t.add_argument("--sync-every", type=A.SYNC_EVERY, default=25, help="fast loop: steps between read-backs of the loss")
    t.add_argument("--parametrisation", default=None, help="Gaussian mean head: paper, code or eps "
                   "(default: the preset's)")

    i = sub.add_parser("inpaint", help="fill the masked pixels of an image")
    i.add_argument("input", nargs="+", help="the image; or several, or a folder of images (a batch)")
    i.add_argument("--mask", required=True, help="mask image: nonzero pixels are filled; in a batch, one mask for "
                   "all images or a folder of masks matched to the images by file name stem")
    _restore_args(i)
    i.add_argument("--samples", type=A.SAMPLES, default=1, help="average K samples (posterior mean)")
    i.add_argument("--mode", choices=("clamp", "forward"), default=None,
                   help="known pixels clamped (the paper) or forward-noised (RePaint, the default)")
    i.add_argument("--jump-length", type=A.JUMP_LENGTH, default=None,
                   help="RePaint resampling: steps to go back at each jump (default 5 with --mode forward; 0 = off)")
    i.add_argument("--jump-n", type=A.JUMP_N, default=None, help="times each jump segment is traversed (default 2)")
    i.add_argument("--start", choices=("harmonic", "noise"), default=None,
                   help="begin from a forward-noised smooth fill of the hole (harmonic, the default) or from "
                        "pure noise at t = T (the paper)")
    i.add_argument("--start-sigma", type=A.START_SIGMA, default=None,
                   help="with --start harmonic: the starting noise std in the model's unit-variance space "
                        "(default 1; larger lets the model depart further from the smooth fill)")
    i.add_argument("--soft-mask", action="store_true", help="use grey mask values as a feathered edge")

    dn = sub.add_parser("denoise", help="remove Gaussian noise from an image")
    dn.add_argument("input", nargs="+", help="the noisy image; or several, or a folder of images (a batch)")
    _restore_args(dn)
    dn.add_argument("--sigma", type=A.SIGMA_255, default=None, help="noise std in 0-255 units (default: estimated)")
    dn.add_argument("--samples", type=A.SAMPLES, default=1, help="average K samples (posterior mean)")
    dn.add_argument("--method", choices=("mmse", "sample"), default="mmse",
                    help="one-step posterior mean (fast) or sampled reverse trajectories")
    dn.add_argument("--ensemble", type=int, choices=range(1, 9), default=8, metavar="N",
                    help="mmse: average over N flips and rotations of each tile, 1-8 (default 8: about "
                         "+0.2 dB for 8x the network evaluations)")
    dn.add_argument("--clipping", choices=("censored", "ignore"), default="censored",
                    help="censored (default): a pixel stored as 0 or the top value means the noisy value fell "
                         "at or beyond the edge, and is treated so; ignore: take it as an ordinary observation")
    dn.add_argument("--tile", type=A.TILE, default=256, help="tile size for large images")
    dn.add_argument("--tile-batch", type=A.TILE_BATCH, default=None, metavar="N",
                    help="tiles per network call with --method mmse (default: 1 on a CPU, where larger batches "
                         "ran slower, 8 on a GPU)")

    sm = sub.add_parser("sample", help="draw an image from a model")
    _restore_args(sm, checkpoint_required=True)
    sm.add_argument("--size", required=True, type=A.parse_size, help="WxH, e.g. 64x64")
    return p


COMMANDS = {"gui": cmd_gui, "checkpoints": cmd_checkpoints, "evaluate": cmd_evaluate, "train": cmd_train,
            "inpaint": cmd_inpaint, "denoise": cmd_denoise, "sample": cmd_sample, "self-test": cmd_selftest}


def main(argv=None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # --help, --version, or a refused option (one line, A.Parser.error)
        return e.code if isinstance(e.code, int) else 2
    cmd = args.cmd or "gui"
    if cmd == "train" and args.minutes is None and args.steps is None:
        print("dpm-studio: error: train needs --minutes or --steps", file=sys.stderr)
        return 2
    from .core.checkpoint import CheckpointError
    from .imageio import ImageIOError

    try:
        return COMMANDS[cmd](args)
    except (UserError, CheckpointError, ImageIOError) as e:
        print(f"dpm-studio: error: {e}", file=sys.stderr)
        return 2
    except ModuleNotFoundError as e:
        if (e.name or "").split(".")[0] not in ("skimage", "sklearn", "mlxtend"):
            return A.last_resort(e, argv)
        print(f"dpm-studio: error: this needs the Python package {e.name.split('.')[0]!r}, which is not installed: "
              "training data comes with the [data] extra (pip install -e \".[data]\"), which the desktop bundle "
              "leaves out", file=sys.stderr)
        return 2
    except OSError as e:  # a file the command itself opens (a --log in a missing folder, ...)
        if e.errno is None and not e.filename:  # not a file problem: an internal error
            return A.last_resort(e, argv)
        where = f"{e.filename}: " if e.filename else ""
        print(f"dpm-studio: error: {where}{e.strerror or e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("dpm-studio: interrupted", file=sys.stderr)
        return 130
    except Exception as e:  # noqa: BLE001 - the last resort: one line, the details in a log
        from .core.memory import is_allocation_failure

        if is_allocation_failure(e):
            print("dpm-studio: error: ran out of memory; try a smaller image, fewer --samples, a smaller --tile or "
                  "--batch", file=sys.stderr)
            return 2
        return A.last_resort(e, argv)


if __name__ == "__main__":
    sys.exit(main())
