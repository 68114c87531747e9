"""The command line's model commands: ``train`` and ``evaluate`` (the bound and the card's entry)."""

from __future__ import annotations

import csv
import json
import platform
import signal
import sys
import time
from pathlib import Path

from . import args as A
from .common import Progress, UserError, _device, _load


# -- evaluate ---------------------------------------------------------------------------------
def measure(loaded, *, n_mc=None, seed=0, n_traj=0, progress=None, device="cpu") -> dict:
    """The bound of a loaded checkpoint (on ``device``) on its preset's held-out data, as a JSON-able dict."""
    from ..core.math.rng import make_generator
    from ..core.math.bound import estimate_bound, evaluate_bound, log_likelihood_is
    from ..core.train.presets import preset_for_card

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
        out["t_strata"] = "log"  # estimate_bound's default (core/math/bound.py: t_strata)
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


BOUND_KEYS = ("K", "K_stderr", "K_minus_L_null", "L_null", "elbo", "K_per_dim", "units", "n", "n_mc", "n_t",
              "t_strata")


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
        from ..core.files import checkpoint

        card = checkpoint.read_card(loaded.path)
        path = Path(card.pop("_path"))
        card["bound"] = bound_entry(out)
        card["weights_sha256"] = loaded.sha256  # the figures belong to the weights they were measured on
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

    from ..core.files import checkpoint
    from ..core.train.presets import from_folder, get_preset, with_net

    from ..core.files.cardschema import CardError, check_name, printable

    if Path(args.output).name in ("", ".", ".."):  # "-o ." was an internal error ("PosixPath('.') has an empty name")
        raise UserError(f"-o {args.output} names a folder: give the checkpoint's path without extension, "
                        "e.g. -o my-models/roll (writes roll.json and roll.safetensors there)")
    try:  # the name its own loader would refuse (control characters, DEL, C1) is refused before training
        check_name(args.name or checkpoint.paths_for(args.output)[1].stem)
    except CardError as e:
        raise UserError(f"--name {printable(args.name or checkpoint.paths_for(args.output)[1].stem)}: {e}") from None
    if not (args.resume or args.overwrite):
        out = Path(args.output)
        existing = [p for p in checkpoint.paths_for(out) if p.exists()]
        if existing:
            raise UserError(f"{existing[0]} exists: pass --resume to continue that run or --overwrite to start "
                            "a new one in its place")
    try:
        preset = with_net(get_preset(args.preset), args.net)
        if preset.name.startswith("photos") and not args.data:
            from ..core.train.data.images import wallpapers_folder

            wallpapers_folder()  # $DPM_STUDIO_WALLPAPERS=/dev/zero was exit 70 deep in the data
        if args.data:
            if not Path(args.data).expanduser().is_dir():
                raise ValueError(f"--data {args.data!r} is not a folder")
            preset = from_folder(preset, args.data)
            preset.card_data()  # reads the folder now: a bad folder is a clear error before training
            preset.held_out()   # and its images must be wide enough to hold patches out
    except (ValueError, FileNotFoundError) as e:
        raise UserError(str(e)) from None
    if args.threads:
        torch.set_num_threads(args.threads)
    rank, world, device = _distributed_setup(args.device, args.rendezvous_timeout)
    try:
        return _train(args, preset, rank, device)
    finally:
        if world:
            import torch.distributed as dist

            dist.destroy_process_group()


def _init_from(state, name_or_path, device) -> dict:
    """Copy a checkpoint's weights into the model and its EMA (a warm start, step 0); returns its card."""
    loaded = _load(name_or_path, device)
    for module in (state.model, state.ema):
        try:
            module.net.load_state_dict(loaded.net.state_dict())
        except RuntimeError:
            raise UserError(f"--init {name_or_path}: its network is not this preset's "
                            f"({loaded.card.get('network')})") from None
    return loaded.card


def _earlier_pieces(card: dict) -> list:
    """The training pieces a card records; a card from before pieces were recorded counts as one."""
    tr = card.get("training", {}) if isinstance(card, dict) else {}
    pieces = tr.get("pieces")
    if isinstance(pieces, list):
        return [p for p in pieces if isinstance(p, dict)]
    if not tr.get("steps"):
        return []
    device = str(tr.get("hardware", {}).get("device", "cpu"))
    return [{"device": device.split(":")[0], "minutes": round(float(tr.get("wall_time_s", 0)) / 60, 1),
             "steps": int(tr["steps"]), "examples": int(tr["steps"]) * int(tr.get("batch_size", 0)),
             "note": "recorded before pieces were"}]


def seen_by_device(pieces: list) -> dict:
    """Examples seen and minutes spent, summed over the pieces, per device type (cpu, cuda)."""
    out: dict = {}
    for p in pieces:
        d = out.setdefault(str(p.get("device", "cpu")), {"examples": 0, "minutes": 0.0, "pieces": 0})
        d["examples"] += int(p.get("examples", 0))
        d["minutes"] = round(d["minutes"] + float(p.get("minutes", 0)), 1)
        d["pieces"] += 1
    return out


def _torchrun_env() -> tuple[int, int, int] | None:
    """(rank, world size, local rank) from torchrun's variables, None when they are not set. A value
    that is not a whole number in range is one line naming the variable (LOCAL_RANK=x was exit 70)."""
    import os

    if "WORLD_SIZE" not in os.environ or "RANK" not in os.environ:
        return None
    values = {}
    for var, default in (("WORLD_SIZE", None), ("RANK", None), ("LOCAL_RANK", "0")):
        text = os.environ.get(var, default)
        try:
            values[var] = int(text.strip())
        except ValueError:
            values[var] = -1
        if values[var] < 0 or (var != "WORLD_SIZE" and values[var] >= values["WORLD_SIZE"]) or \
                (var == "WORLD_SIZE" and not 1 <= values[var] <= 65_536):
            raise UserError(f"the torchrun variable {var}={text!r} is not a process number in range "
                            f"(WORLD_SIZE 1-65,536, RANK and LOCAL_RANK 0 to WORLD_SIZE - 1): unset WORLD_SIZE "
                            "and RANK to train in one process")
    return values["RANK"], values["WORLD_SIZE"], values["LOCAL_RANK"]


def _distributed_setup(device: str, timeout_s: float = 300.0):
    """Join the torchrun group when launched by torchrun; returns (rank, world size or 0, device).

    ``torchrun --nproc-per-node N -m dpm_studio train ...`` sets RANK, WORLD_SIZE and
    LOCAL_RANK; each process then trains on its own batches, rank 0 alone logs and saves.
    NCCL for GPUs, gloo for CPUs. The rendezvous waits at most ``timeout_s``: a leftover
    WORLD_SIZE=2 in a shell made rank 0 wait for rank 1 forever.
    """
    import datetime
    import os

    import torch

    env = _torchrun_env()
    if env is None:
        return 0, 0, _device(device)
    import torch.distributed as dist

    rank, world, local = env
    if device.startswith("cuda"):
        if not torch.cuda.is_available():
            raise UserError("--device cuda: no CUDA device here (use --device cpu)")
        if local >= torch.cuda.device_count():
            raise UserError(f"LOCAL_RANK={local} but this machine has {torch.cuda.device_count()} CUDA device(s)")
        torch.cuda.set_device(local)
        device = f"cuda:{local}"
    backend = "nccl" if device.startswith("cuda") else "gloo"
    where = f"{os.environ.get('MASTER_ADDR', '?')}:{os.environ.get('MASTER_PORT', '?')}"
    try:
        dist.init_process_group(backend, timeout=datetime.timedelta(seconds=timeout_s))
    except (RuntimeError, ValueError) as e:  # DistStoreError is a RuntimeError
        why = (str(e).splitlines() or [type(e).__name__])[0][:160]
        raise UserError(f"the torchrun environment (WORLD_SIZE={world}, RANK={rank}, rendezvous at {where}) did "
                        f"not come together within {timeout_s:g} s ({why}): start every rank, or unset WORLD_SIZE "
                        "and RANK to train in one process") from None
    return dist.get_rank(), dist.get_world_size(), device


def _train(args, preset, rank: int, device: str) -> int:
    import torch

    from ..core.files import checkpoint
    from ..core.math.diffusion import Model
    from ..core.train.training import TrainState, distributed_context, train

    from ..core.train.training import check_training
    from ..core.train.training import load_state, save_state, state_files

    lead = rank == 0  # under torchrun only rank 0 logs, saves and measures
    loop = args.loop if args.loop != "auto" else ("fast" if str(device).startswith("cuda") else "plain")
    world = distributed_context()[1]
    out = Path(args.output)
    state_path = out.with_name(out.name + ".train")
    torch.manual_seed(args.seed)
    diffusion, net = preset.build()
    if args.parametrisation:
        from ..core.math.gaussian import PARAMETRISATIONS

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
    earlier: list = []  # the pieces of training before this run, carried on the card
    if args.init:
        if args.resume:
            raise UserError("--init starts a new run from a checkpoint's weights; --resume continues one: give one")
        init_card = _init_from(state, args.init, device)
        # A warm start from the same preset continues its lineage: its pieces count as this model's.
        if init_card.get("training", {}).get("preset") == preset.name:
            earlier = _earlier_pieces(init_card)
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
        earlier = _earlier_pieces(old_card)
        from ..core.train.presets import data_change

        change = data_change(old_card.get("data", {}), preset.card_data())
        if change and lead:
            print(f"dpm-studio: warning: resuming on other data than the run so far ({change}); "
                  "the card will record the new data and scaling", file=sys.stderr)
    commands.append(" ".join(["dpm-studio", *sys.argv[1:]]))
    step0, elapsed0 = state.step, state.elapsed
    hardware = _hardware(device, world)

    def this_piece() -> dict:
        steps = state.step - step0
        piece = {"device": torch.device(device).type, "minutes": round((state.elapsed - elapsed0) / 60, 1),
                 "steps": steps, "examples": steps * batch * world, "loop": loop}
        if "gpu" in hardware:
            piece["gpu"] = hardware["gpu"]
        return piece

    def save_all(final=False, bound=None):
        pieces = [*earlier, this_piece()]
        card = {"name": args.name or checkpoint.paths_for(out)[1].stem, "description": preset.description,
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
                             "hardware": hardware, "loop": loop,
                             **({"init": args.init} if args.init else {}), "commands": commands,
                             "pieces": pieces, "seen": seen_by_device(pieces)}}
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
        from ..core.train.fasttrain import device_data, train_fast

        records = train_fast(state, device_data(preset, batch, device, args.channels_last), batch=batch,
                             compile=args.compile, amp=args.amp, channels_last=args.channels_last,
                             sync_every=args.sync_every, **common)
    else:
        records = train(state, lambda g: preset.batch(batch, g), **common)
    interrupt = Interrupt()
    watched = interrupt.watch(records)
    try:
        for rec in watched:
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
            if interrupt.signum is not None:
                break
    finally:
        watched.close()  # the signals' handlers as they were
        if log:
            try:
                log.close()
            except OSError:  # the full disk already warned about
                pass
        prog.close()
    if state.step == step0:  # no step trained: an untrained (or unchanged) checkpoint is no result to save
        raise UserError(f"no training step ran{' within --minutes ' + format(args.minutes, 'g') if args.minutes else ''}: "
                        f"nothing was saved; give a larger --minutes or --steps.")
    if interrupt.signum is not None:  # SIGTERM/SIGINT: the work so far is saved, with its resume state
        name = signal.Signals(interrupt.signum).name
        if lead:
            with interrupt:  # a second Ctrl+C is noted; a second SIGTERM ends the save, the files before kept
                save_all(final=True)
            print(f"dpm-studio: {name}: training stopped at step {state.step}; saved {out} and its resume state "
                  f"(continue with --resume)", file=sys.stderr)
        return 128 + int(interrupt.signum)
    if not lead:
        return 0
    bound = None
    if args.eval:
        save_all()
        loaded = _load(out, device)
        bound = bound_entry(measure(loaded, seed=args.seed + 1, device=device))
    save_all(final=True, bound=bound)
    print(json.dumps({"checkpoint": str(checkpoint.paths_for(out)[1]), "steps": state.step, "bound": bound}))
    return 0


class Interrupt:
    """SIGTERM and SIGINT while training: noted (``signum``), so the loop stops after the step in
    progress and the run saves its checkpoint and resume state (atomic writes) before exiting
    128 + the signal's number. Before, only the periodic --save-every save survived a SIGTERM.
    Handlers are installed only while watching, and only in the main thread."""

    SIGNALS = ("SIGTERM", "SIGINT")

    def __init__(self):
        self.signum = None
        self._previous: dict = {}

    def _note(self, signum, frame):
        self.signum = self.signum or signum

    def __enter__(self):
        import threading

        if threading.current_thread() is threading.main_thread():
            for name in self.SIGNALS:
                sig = getattr(signal, name)
                self._previous[sig] = signal.getsignal(sig)
                signal.signal(sig, self._note)
        return self

    def __exit__(self, *exc):
        for sig, previous in self._previous.items():
            signal.signal(sig, previous if previous is not None else signal.SIG_DFL)
        self._previous = {}
        return False

    def watch(self, records):
        """``records`` with the handlers installed while each step runs."""
        with self:
            yield from records


# -- their options ---------------------------------------------------------------------------
def add_parsers(sub) -> None:
    """The ``evaluate`` and ``train`` subcommands' options."""
    e = sub.add_parser("evaluate", help="measure a checkpoint's bound K on held-out data")
    e.add_argument("checkpoint", help="a shipped checkpoint's name or a path")
    e.add_argument("--json", action="store_true", help="(the last line is always JSON)")
    e.add_argument("--mc", type=A.MC, default=None, help="draws of x_t per example and step")
    e.add_argument("--importance", type=A.IMPORTANCE, default=0, metavar="N",
                   help="also estimate log p(x_0) from N forward trajectories")
    e.add_argument("--seed", type=A.SEED, default=0, help="the random seed of the bound's draws (default 0)")
    e.add_argument("--update-card", action="store_true", help="write the measured bound into the card")
    e.add_argument("--device", default="cpu", type=A.device, help=A.DEVICE_HELP)

    t = sub.add_parser("train", help="train a model from a preset")
    t.add_argument("preset", help="heartbeat | swiss-roll | photos-rgb | textures-gray | dead-leaves | "
                   "digits-binary")
    t.add_argument("-o", "--output", required=True, help="checkpoint path (without extension)")
    t.add_argument("--name", type=A.card_name, help="name on the card (default: the file name)")
    t.add_argument("--data", metavar="FOLDER", help="train the preset's model on your own images in FOLDER "
                   "(Gaussian image presets; the rightmost columns of each image are held out)")
    t.add_argument("--minutes", type=A.TRAIN_MINUTES, default=None, help="time budget in minutes (0.01 to 525,600: "
                   "a year); training stops after the step in progress when it is spent")
    t.add_argument("--steps", type=A.STEPS, default=None, help="optimiser steps (default: until --minutes)")
    t.add_argument("--total-steps", type=A.STEPS, default=None, help="length of the learning-rate decay, in "
                   "optimiser steps (default: the preset's)")
    t.add_argument("--batch", type=A.BATCH, default=None, help="examples per optimiser step (default: the preset's)")
    t.add_argument("--lr", type=A.LR, default=None, help="learning rate (default: the preset's)")
    t.add_argument("--optimizer", choices=("adam", "rmsprop"), default="adam", help="(default adam)")
    t.add_argument("--seed", type=A.SEED, default=0, help="the random seed of the initial weights and the "
                   "batches (default 0)")
    t.add_argument("--overwrite", action="store_true", help="replace an existing checkpoint at OUTPUT (and its "
                   "resume state) with a new run")
    t.add_argument("--resume", action="store_true", help="continue from OUTPUT.train.*")
    t.add_argument("--log", "--csv-log", dest="log", help="append a CSV log of the steps here (under torchrun, "
                   "whose own options would swallow --log, spell it --csv-log)")
    t.add_argument("--save-every", type=A.MINUTES, default=5.0, help="minutes between checkpoints (SIGTERM or "
                   "Ctrl+C also saves the checkpoint and resume state, then exits 143 or 130)")
    t.add_argument("--no-eval", dest="eval", action="store_false", help="skip measuring the bound at the end")
    t.add_argument("--threads", type=A.THREADS, default=None, help="CPU threads for torch (default: torch's own)")
    t.add_argument("--rendezvous-timeout", type=A.TIMEOUT, default=300.0, metavar="SECONDS",
                   help="under torchrun: how long to wait for every rank to join (default 300)")
    t.add_argument("--device", default="cpu", type=A.device, help=A.DEVICE_HELP + "; under torchrun "
                   "each process's cuda:LOCAL_RANK")
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
    t.add_argument("--channels-last", dest="channels_last", action="store_true", default=None,
                   help="fast loop: the image network's tensors in channels_last (default only on a CPU with "
                        "native bf16: on an H100 contiguous trained unet-te 1.25x faster)")
    t.add_argument("--no-channels-last", dest="channels_last", action="store_false", default=None,
                   help="fast loop: keep the image network's tensors contiguous (the default on cuda)")
    t.add_argument("--sync-every", type=A.SYNC_EVERY, default=25, help="fast loop: steps between read-backs of the loss")
    t.add_argument("--parametrisation", default=None, help="Gaussian mean head: paper, code or eps "
                   "(default: the preset's)")
