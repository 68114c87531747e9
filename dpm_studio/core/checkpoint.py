"""Checkpoints: safetensors weights plus a JSON card. Nothing is ever unpickled.

A checkpoint ``NAME`` is two files side by side: ``NAME.safetensors`` (tensors only) and
``NAME.json`` (the card). The card says how to rebuild the model (network type and
arguments, diffusion family, parametrisation, schedule) and what it is (data,
provenance, training, the measured bound). :func:`load` validates the card, refuses
anything that is not a safetensors file (a pickle, a zip, a truncated file) with a
:class:`CheckpointError` whose message is meant for the user, and checks every tensor's
name and shape against the rebuilt model before loading it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import torch

from .atomic import atomic_write
from .binomial import BinomialDiffusion
from .gaussian import GaussianDiffusion
from .nets import build_net
from .schedules import make_schedule
from .training import Model

FORMAT = "dpm-studio-checkpoint/1"
REQUIRED = ("format", "name", "family", "network", "diffusion", "data")
#: Extensions of formats that unpickle (run code) when loaded: refused by name, never opened.
PICKLE_EXTENSIONS = (".pt", ".pth", ".ckpt", ".pkl", ".pickle", ".bin", ".zip", ".tar", ".npy", ".npz", ".joblib")
#: First bytes of pickles (protocol 2-5) and zip archives (torch.save's format).
PICKLE_MAGIC = (b"\x80\x02", b"\x80\x03", b"\x80\x04", b"\x80\x05", b"PK")


class CheckpointError(ValueError):
    """A checkpoint that cannot be used; the message says why, in one line."""


@dataclass
class Loaded:
    """A ready-to-use model: ``diffusion``, ``net`` (eval mode) and the ``card``."""

    diffusion: object
    net: torch.nn.Module
    card: dict
    path: Path

    @property
    def name(self) -> str:
        return self.card["name"]

    @property
    def channels(self) -> int:
        return int(self.card["data"].get("channels", 1))


def build_diffusion(spec: dict, family: str):
    schedule = make_schedule(spec["schedule"])
    if family == "gaussian":
        return GaussianDiffusion(schedule, spec.get("parametrisation", "paper"), spec.get("first_step", "learned"))
    if family == "binomial":
        return BinomialDiffusion(schedule, spec.get("parametrisation", "direct"), spec.get("first_step", "learned"),
                                 base_rate=spec.get("base_rate", 0.5))
    raise CheckpointError(f"unknown diffusion family {family!r} (expected 'gaussian' or 'binomial')")


def diffusion_spec(diffusion) -> dict:
    spec = {"schedule": diffusion.schedule.spec(), "parametrisation": diffusion.parametrisation,
            "first_step": diffusion.first_step}
    if diffusion.family == "binomial":
        spec["base_rate"] = diffusion.base_rate
    return spec


def _atomic_write(path: Path, write):
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, write)


def _refuse_pickle_name(p: Path):
    if p.suffix.lower() in PICKLE_EXTENSIONS:
        raise CheckpointError(f"{p.name} is a {p.suffix} file, a format that can run code when loaded; "
                              "DPM Studio only loads .safetensors weights with a .json card")


def paths_for(path) -> tuple[Path, Path]:
    """(weights, card) for a checkpoint given by either file or by its stem."""
    p = Path(path)
    if p.suffix in (".json", ".safetensors"):
        p = p.with_suffix("")
    return p.with_suffix(".safetensors"), p.with_suffix(".json")


def save(path, diffusion, net, card: dict) -> Path:
    """Write ``path``.safetensors and ``path``.json atomically; returns the card's path."""
    from safetensors.torch import save_file

    weights, card_path = paths_for(path)
    tensors = {f"net.{k}": v.detach().contiguous().cpu().clone() for k, v in net.state_dict().items()}
    tensors.update({f"diffusion.{k}": v.detach().contiguous().cpu().clone()
                    for k, v in diffusion.state_dict().items()})
    card = dict(card)
    card.setdefault("format", FORMAT)
    card["family"] = diffusion.family
    card["diffusion"] = diffusion_spec(diffusion)
    card.setdefault("name", weights.stem)
    card["weights"] = weights.name
    card["parameters"] = int(sum(p.numel() for p in net.parameters()))
    _atomic_write(weights, lambda tmp: save_file(tensors, tmp, metadata={"format": FORMAT}))
    _atomic_write(card_path, lambda tmp: Path(tmp).write_text(json.dumps(card, indent=2) + "\n"))
    return card_path


def read_card(path) -> dict:
    """Read and validate a card (no weights)."""
    _refuse_pickle_name(Path(path))
    _, card_path = paths_for(path)
    try:
        text = Path(card_path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CheckpointError(f"no checkpoint card at {card_path}") from None
    except UnicodeDecodeError:
        raise CheckpointError(f"checkpoint card {card_path} is not a JSON text file (it is not UTF-8)") from None
    except OSError as e:
        raise CheckpointError(f"cannot read checkpoint card {card_path}: {e.strerror or e}") from None
    try:
        card = json.loads(text)
    except json.JSONDecodeError as e:
        raise CheckpointError(f"checkpoint card {card_path} is not valid JSON ({e.msg} at line {e.lineno})") from None
    if not isinstance(card, dict):
        raise CheckpointError(f"checkpoint card {card_path} must hold a JSON object")
    missing = [k for k in REQUIRED if k not in card]
    if missing:
        raise CheckpointError(f"checkpoint card {card_path} lacks {', '.join(missing)}")
    if card["format"] != FORMAT:
        raise CheckpointError(f"checkpoint card {card_path} has format {card['format']!r}, expected {FORMAT!r}")
    for key in ("network", "diffusion", "data"):
        if not isinstance(card[key], dict):
            raise CheckpointError(f"checkpoint card {card_path}: {key!r} must be an object")
    if "schedule" not in card["diffusion"]:
        raise CheckpointError(f"checkpoint card {card_path}: the diffusion has no schedule")
    card["_path"] = str(card_path)
    return card


def _read_tensors(weights: Path) -> dict:
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    try:
        head = weights.open("rb").read(8)
    except FileNotFoundError:
        raise CheckpointError(f"no weights file at {weights}") from None
    except OSError as e:
        raise CheckpointError(f"cannot read {weights}: {e}") from None
    if head[:2] in PICKLE_MAGIC:
        raise CheckpointError(f"{weights} is a pickle or zip archive, which could run code; "
                              "only safetensors weights are loaded")
    try:
        return load_file(str(weights))
    except (SafetensorError, OSError, ValueError, RuntimeError) as e:
        raise CheckpointError(f"{weights} is not a valid safetensors file ({e})") from None


def _names(keys: list) -> str:
    return (", ".join(keys[:3]) + (f" and {len(keys) - 3} more" if len(keys) > 3 else "")) if keys else "none"


def load(path, device="cpu") -> Loaded:
    """Load a checkpoint by path (stem, .json or .safetensors), validated, in eval mode."""
    card = read_card(path)
    weights, _ = paths_for(card["_path"])
    try:
        diffusion = build_diffusion(card["diffusion"], card["family"])
        net = build_net(card["network"])
    except CheckpointError:
        raise
    except Exception as e:  # noqa: BLE001 - whatever a bad card makes the constructors raise
        raise CheckpointError(f"checkpoint card {card['_path']} describes a model that cannot be built: "
                              f"{type(e).__name__}: {e}") from None
    net_channels = card["network"].get("kwargs", {}).get("channels") if isinstance(
        card["network"].get("kwargs"), dict) else None
    data_channels = card["data"].get("channels")
    if net_channels is not None and data_channels is not None and net_channels != data_channels:
        raise CheckpointError(f"checkpoint card {card['_path']} is inconsistent: its data has {data_channels} "
                              f"channel(s) but its network takes {net_channels}")
    tensors = _read_tensors(weights)
    for prefix, module in (("net.", net), ("diffusion.", diffusion)):
        want = module.state_dict()
        got = {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}
        missing = [prefix + k for k in sorted(set(want) - set(got))]
        extra = [prefix + k for k in sorted(set(got) - set(want))]
        if missing or extra:
            raise CheckpointError(f"{weights} does not match its card: missing tensors: {_names(missing)}; "
                                  f"unexpected tensors: {_names(extra)}")
        for k, v in want.items():
            if tuple(got[k].shape) != tuple(v.shape):
                raise CheckpointError(f"{weights}: tensor {prefix}{k} has shape {tuple(got[k].shape)}, "
                                      f"the card's model needs {tuple(v.shape)}")
            if not torch.isfinite(got[k].float()).all():
                raise CheckpointError(f"{weights}: tensor {prefix}{k} holds NaN or infinite values")
        module.load_state_dict(got)
    schedule = diffusion.schedule
    if not getattr(schedule, "learned", False):
        from .schedules import FIXED

        spec_betas = FIXED[schedule.kind](schedule.T, **schedule.kwargs)
        if not torch.allclose(schedule.betas(), spec_betas, rtol=1e-9, atol=0):
            worst = int((schedule.betas() - spec_betas).abs().argmax()) + 1
            raise CheckpointError(f"{weights}: the stored noise schedule differs from the card's "
                                  f"{card['diffusion']['schedule']} (first at t = {worst})")
    model = Model(diffusion, net).to(device).eval()
    return Loaded(model.diffusion, model.net, card, Path(card["_path"]))


# -- the list of available checkpoints ---------------------------------------------------
def list_cards(dirs=None) -> list[dict]:
    """Every readable card in the checkpoint folders (first folder wins on a name clash).

    Each card gains ``path`` (the card file). Unreadable cards are skipped here; ``load``
    reports what is wrong with one when it is asked for by name.
    """
    from ..paths import checkpoint_dirs

    seen, cards = set(), []
    for folder in dirs if dirs is not None else checkpoint_dirs():
        folder = Path(folder)
        if not folder.is_dir():
            continue
        for card_path in sorted(folder.glob("*.json")):
            if card_path.name.endswith(".train.json"):  # a training run's resume state
                continue
            try:
                card = read_card(card_path)
            except CheckpointError:
                continue
            if card["name"] in seen:
                continue
            seen.add(card["name"])
            card["path"] = card.pop("_path")
            cards.append(card)
    return cards


def resolve(name_or_path, dirs=None) -> Path:
    """A checkpoint's card path from a shipped name or a file path."""
    p = Path(name_or_path)
    _refuse_pickle_name(p)
    if p.suffix in (".json", ".safetensors") or p.exists() or p.with_suffix(".json").exists():
        return paths_for(p)[1]
    for card in list_cards(dirs):
        if card["name"] == str(name_or_path):
            return Path(card["path"])
    names = ", ".join(c["name"] for c in list_cards(dirs)) or "none found"
    raise CheckpointError(f"no checkpoint named {name_or_path!r} (available: {names})")
