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

import hashlib
import json
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import torch

from .atomic import atomic_write
from .cardschema import (CardError, CheckpointError, check_card, check_weights_fit, is_image_card,  # noqa: F401
                         printable, short_repr)
from ..math.binomial import BinomialDiffusion
from ..math.gaussian import GaussianDiffusion
from ..math.nets import build_net
from .safefiles import UnsafeFile, loads_json, read_bytes, regular_file
from ..math.schedules import make_schedule
from ..math.diffusion import Model

FORMAT = "dpm-studio-checkpoint/1"
REQUIRED = ("format", "name", "family", "network", "diffusion", "data")
#: Extensions of formats that unpickle (run code) when loaded: refused by name, never opened.
PICKLE_EXTENSIONS = (".pt", ".pth", ".ckpt", ".pkl", ".pickle", ".bin", ".zip", ".tar", ".npy", ".npz", ".joblib")
#: First bytes of pickles (protocol 2-5) and zip archives (torch.save's format).
PICKLE_MAGIC = (b"\x80\x02", b"\x80\x03", b"\x80\x04", b"\x80\x05", b"PK")


@dataclass
class Loaded:
    """A ready-to-use model: ``diffusion``, ``net`` (eval mode) and the ``card``."""

    diffusion: object
    net: torch.nn.Module
    card: dict
    path: Path
    sha256: str = ""   # of the weights file: what a saved result names the model by (not where it lies)
    # One-line warnings every front end shows (the core never prints): a card without
    # weights_sha256 loads, but its weights cannot be tied to the figures on it.
    notes: tuple = ()

    @property
    def weights_checked(self) -> bool:
        """The card records the SHA-256 of these weights (checked at load); False for an older card."""
        return "weights_sha256" in self.card

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
    """(weights, card) for a checkpoint given by either file or by its stem. A stem may hold dots
    (``photos.v2``): only ``.json``/``.safetensors`` is taken off, then each is added (``with_suffix``
    made ``photos.json`` of it: a save replaced the checkpoint ``photos``)."""
    p = Path(path)
    if p.name in ("", ".", ".."):  # "/", ".", "./": Path.with_name raised "PosixPath('.') has an empty name" (exit 70)
        raise CheckpointError(f"{printable(path)} names a folder, not a checkpoint: give a checkpoint's name, or its "
                              "card (NAME.json, with NAME.safetensors beside it)")
    if p.suffix in (".json", ".safetensors"):
        p = p.with_suffix("")
    return p.with_name(p.name + ".safetensors"), p.with_name(p.name + ".json")


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
    digest = []

    def write_weights(tmp):
        save_file(tensors, tmp, metadata={"format": FORMAT})
        digest.append(hashlib.sha256(Path(tmp).read_bytes()).hexdigest())  # of the very bytes renamed in place

    _atomic_write(weights, write_weights)
    card["weights_sha256"] = digest[-1]  # loading refuses weights that are not these
    _atomic_write(card_path, lambda tmp: Path(tmp).write_text(json.dumps(card, indent=2) + "\n"))
    return card_path


#: Largest card accepted (the shipped ones are under 20 KB; provenance lists can grow).
MAX_CARD_BYTES = 4 * 1024 * 1024


def read_card(path) -> dict:
    """Read and validate a card (no weights): a regular file, bounded JSON, the schema."""
    _refuse_pickle_name(Path(path))
    _, card_path = paths_for(path)
    try:
        raw = read_bytes(card_path, MAX_CARD_BYTES, "checkpoint card")
        card = loads_json(raw, MAX_CARD_BYTES, what="checkpoint card")
    except UnsafeFile as e:
        msg = str(e)
        if msg.endswith("no such file"):
            raise CheckpointError(f"no checkpoint card at {card_path}") from None
        raise CheckpointError(f"checkpoint card {card_path}: {msg}") from None
    except OSError as e:
        raise CheckpointError(f"cannot read checkpoint card {card_path}: {e.strerror or e}") from None
    if not isinstance(card, dict):
        raise CheckpointError(f"checkpoint card {card_path} must hold a JSON object")
    missing = [k for k in REQUIRED if k not in card]
    if missing:
        raise CheckpointError(f"checkpoint card {card_path} lacks {', '.join(missing)}")
    if card["format"] != FORMAT:
        raise CheckpointError(f"checkpoint card {card_path} has format {short_repr(card['format'])}, "
                              f"expected {FORMAT!r}")
    try:
        check_card(card)
    except CardError as e:
        raise CheckpointError(f"checkpoint card {card_path}: {e}") from None
    card["_path"] = str(card_path)
    return card


#: Largest magnitude a stored weight may have: trained values are far below it, and a
#: network fed 1e36 only produces infinities (a black image).
MAX_WEIGHT = 1e4


def _read_tensors(weights: Path) -> tuple[dict, str]:
    """(tensors, SHA-256) of a weights file, read once into memory (no memory map: a file
    truncated while it loads is an error, not a SIGBUS)."""
    from safetensors import SafetensorError
    from safetensors.torch import load as load_bytes

    try:
        regular_file(weights, "weights file")
    except UnsafeFile as e:
        if str(e).endswith("no such file"):
            raise CheckpointError(f"no weights file at {weights}") from None
        raise CheckpointError(f"{weights}: {e}") from None
    try:
        with weights.open("rb") as f:
            data = f.read()
    except OSError as e:
        raise CheckpointError(f"cannot read {weights}: {e.strerror or e}") from None
    if data[:2] in PICKLE_MAGIC:
        raise CheckpointError(f"{weights} is a pickle or zip archive, which could run code; "
                              "only safetensors weights are loaded")
    try:
        return load_bytes(data), hashlib.sha256(data).hexdigest()
    except (SafetensorError, OSError, ValueError, RuntimeError) as e:
        raise CheckpointError(f"{weights} is not a valid safetensors file ({e})") from None


def _plausible_safetensors(weights: Path) -> tuple[int, dict | None] | None:
    """(size, header) of a regular file that starts like a safetensors file (the header None when
    it does not parse), else None."""
    try:
        size = regular_file(weights, "weights file").st_size
        with weights.open("rb") as f:
            n = int.from_bytes(f.read(8), "little")
            if not (size >= 8 and 2 <= n <= size - 8):
                return None
            raw = f.read(n) if n <= MAX_CARD_BYTES else b""
    except (UnsafeFile, OSError):
        return None
    try:
        header = loads_json(raw, MAX_CARD_BYTES, what="safetensors header")
    except ValueError:
        header = None
    return size, header if isinstance(header, dict) else None


#: Stored types DPM Studio runs: the network in float32; the schedule may be float64.
_DTYPES = {"F16": "float16", "BF16": "bfloat16", "F32": "float32", "F64": "float64", "I64": "int64",
           "I32": "int32", "I16": "int16", "I8": "int8", "U8": "uint8", "BOOL": "bool"}


def _refuse_dtypes(weights: Path, header: dict) -> None:
    """Weights stored in another type (fp16, bf16 halve the file) are refused by that type, before
    the size check would blame a byte count."""
    for name, info in header.items():
        if name == "__metadata__" or not isinstance(info, dict):
            continue
        dtype = str(info.get("dtype"))
        ok = ("F32", "F64") if name.startswith("diffusion.") else ("F32",)
        if dtype not in ok:
            raise CheckpointError(f"{weights}: tensor {name} holds {_DTYPES.get(dtype, dtype)} values; weights must "
                                  "be float32 (convert them with tensor.float() and save them again)")


def _refuse_oversize(card: dict, weights: Path) -> None:
    """A card asking for more than its weights file holds is refused before anything is built
    (weights stored in another type than float32 first, by that type)."""
    try:
        found = _plausible_safetensors(weights)
        if found is not None:  # otherwise _read_tensors says what is wrong with the file itself
            size, header = found
            if header is not None:
                _refuse_dtypes(weights, header)
            check_weights_fit(card, size)
    except CardError as e:
        raise CheckpointError(f"checkpoint card {card['_path']}: {e}") from None


def _check_digest(card: dict, weights: Path, digest: str) -> None:
    """Weights that are not the ones the card was measured on (swapped, zeroed, retrained) never
    run under its name and figures. A card without ``weights_sha256`` (written before cards
    recorded it) claims no particular weights."""
    want = card.get("weights_sha256")
    if want is not None and want != digest:
        raise CheckpointError(f"{weights} is not the weights file its card {card['_path']} was made for: its "
                              f"SHA-256 is {digest}, the card records {want} (restore the weights that "
                              "came with the card, or retrain)")


def _names(keys: list) -> str:
    return (", ".join(keys[:3]) + (f" and {len(keys) - 3} more" if len(keys) > 3 else "")) if keys else "none"


def _cache_key(name_or_path, device) -> tuple:
    """(card path, device, the files' modification times): a key changes when the files do."""
    card = resolve(name_or_path)
    return str(card), str(device), tuple(p.stat().st_mtime_ns if p.exists() else None for p in paths_for(card))


_CACHE: OrderedDict = OrderedDict()   # _cache_key -> Loaded, least recently used first
_CACHE_SIZE = 4
_CACHE_LOCK = threading.Lock()        # the app loads in a thread while its GUI thread asks :func:`cached`


def load_cached(name_or_path, device: str = "cpu") -> Loaded:
    """:func:`load`, kept for the next call with the same files, unchanged since (their
    modification times are part of the key), on the same device: the app's model picker and
    the Python API share this one cache (the four used last)."""
    key = _cache_key(name_or_path, device)
    hit = cached(name_or_path, device, key=key)
    if hit is not None:
        return hit
    loaded = load(key[0], device=key[1])
    with _CACHE_LOCK:
        _CACHE[key] = loaded
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return loaded


def cached(name_or_path, device: str = "cpu", *, key=None) -> Loaded | None:
    """What :func:`load_cached` would return at once (its files unchanged since), else None; never loads.
    The app asks it to tell whether a model must load in a thread. None too where the card cannot be found
    (:func:`load_cached` says why)."""
    key = _cache_key(name_or_path, device) if key is None else key
    with _CACHE_LOCK:
        hit = _CACHE.get(key)
        if hit is not None:
            _CACHE.move_to_end(key)
    return hit


def clear_cache():
    """Forget every model :func:`load_cached` keeps (tests; a script measuring a first load)."""
    with _CACHE_LOCK:
        _CACHE.clear()


def load(path, device="cpu") -> Loaded:
    """Load a checkpoint by path (stem, .json or .safetensors), validated, in eval mode."""
    card = read_card(path)
    weights, _ = paths_for(card["_path"])
    _refuse_oversize(card, weights)
    try:
        diffusion = build_diffusion(card["diffusion"], card["family"])
        net = build_net(card["network"])
    except CheckpointError:
        raise
    except Exception as e:  # noqa: BLE001 - whatever a bad card makes the constructors raise
        raise CheckpointError(f"checkpoint card {card['_path']} describes a model that cannot be built: "
                              f"{type(e).__name__}: {e}") from None
    tensors, digest = _read_tensors(weights)
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
            if not got[k].is_floating_point():
                raise CheckpointError(f"{weights}: tensor {prefix}{k} holds {str(got[k].dtype)[6:]} values; "
                                      "weights must be floating point")
            _refuse_bad_values(weights, prefix + k, got[k])
        module.load_state_dict(got)
    schedule = diffusion.schedule
    if not getattr(schedule, "learned", False):
        from ..math.schedules import FIXED

        spec_betas = FIXED[schedule.kind](schedule.T, **schedule.kwargs)
        if not torch.allclose(schedule.betas(), spec_betas, rtol=1e-9, atol=0):
            worst = int((schedule.betas() - spec_betas).abs().argmax()) + 1
            raise CheckpointError(f"{weights}: the stored noise schedule differs from the card's "
                                  f"{card['diffusion']['schedule']} (first at t = {worst})")
    _check_digest(card, weights, digest)
    model = Model(diffusion, net).to(device).eval()
    return Loaded(model.diffusion, model.net, card, Path(card["_path"]), digest, _digest_notes(card))


def _refuse_bad_values(weights: Path, name: str, v: torch.Tensor) -> None:
    """A stored tensor holding NaN, infinity or a value over MAX_WEIGHT is refused, by which.

    One reduction per tensor (the largest magnitude: NaN where any value is NaN); the reason is
    looked for only in a tensor refused. Four small operations per tensor were 6-8 ms of each
    load of photos-rgb-v2's 213 tensors, one is 1 ms (docs/speed.md, issue 26)."""
    if not v.numel():
        return
    largest = float(v.abs().amax())
    if largest <= MAX_WEIGHT:
        return
    if not torch.isfinite(v).all():
        raise CheckpointError(f"{weights}: tensor {name} holds NaN or infinite values")
    raise CheckpointError(f"{weights}: tensor {name} holds values as large as {largest:.3g} (at most "
                          f"{MAX_WEIGHT:g}): not trained weights")


def _digest_notes(card: dict) -> tuple:
    """A card without ``weights_sha256`` (older user checkpoints) loads, with a warning: nothing says
    its weights are the ones its figures were measured on. Saved results record it too."""
    if "weights_sha256" in card:
        return ()
    return (f"checkpoint {card['name']}: its card {Path(card['_path']).name} records no weights_sha256 (made "
            "before cards did), so its weights cannot be checked against it; `dpm-studio evaluate "
            f"{card['_path']} --update-card` records them",)


# -- the list of available checkpoints ---------------------------------------------------
def _card_files(dirs=None):
    """Every ``*.json`` in the checkpoint folders, in search order (a training run's resume
    state and unreadable folders left out)."""
    from .locations import checkpoint_dirs

    for folder in dirs if dirs is not None else checkpoint_dirs():
        folder = Path(folder)
        try:
            if not folder.is_dir():
                continue
            entries = sorted(folder.glob("*.json"))
        except OSError:
            continue
        for card_path in entries:
            if not card_path.name.endswith(".train.json"):
                yield card_path


def _usable_card(card_path, name=None) -> dict | None:
    """The card at ``card_path``, refused (CheckpointError) unless its weights can hold its model;
    None, and not checked against its weights, when ``name`` is given and the card has another."""
    card = read_card(card_path)
    if name is not None and card["name"] != name:
        return None
    _refuse_oversize(card, paths_for(card_path)[0])
    return card


def scan_cards(dirs=None) -> tuple[list[dict], list[str]]:
    """(cards, skipped): every usable card in the checkpoint folders, and one line per card skipped.

    The first folder wins on a name clash; the winner gains ``shadows``, the card files of
    the same name it hides (a user's ``photos-rgb`` over the shipped one). Each card gains
    ``path`` (the card file). A card that fails its schema, or a ``*.json`` that is not a
    regular file (a FIFO would block), is skipped with its reason, never opened blindly.
    """
    by_name, cards, skipped = {}, [], []
    for card_path in _card_files(dirs):
        try:
            card = _usable_card(card_path)
        except CheckpointError as e:
            skipped.append(f"skipped {card_path}: {str(e).replace(f'checkpoint card {card_path}: ', '')}")
            continue
        card["path"] = card.pop("_path")
        if card["name"] in by_name:
            by_name[card["name"]].setdefault("shadows", []).append(card["path"])
            continue
        by_name[card["name"]] = card
        cards.append(card)
    return cards, skipped


def list_cards(dirs=None) -> list[dict]:
    """The usable cards of :func:`scan_cards` (bad ones skipped; ``load`` says why when named)."""
    return scan_cards(dirs)[0]


def resolve(name_or_path, dirs=None) -> Path:
    """A checkpoint's card path from a listed name or a file path.

    A bare name is looked up among the listed checkpoints first, so a ``photos-rgb.json``
    (or a folder of that name) in the working folder never replaces a listed checkpoint;
    a path (with a folder or a ``.json``/``.safetensors`` suffix) is taken as given.
    """
    if not isinstance(name_or_path, (str, os.PathLike)) or not str(name_or_path).strip():
        # "" is Path("."), the working folder: "PosixPath('.') has an empty name" was exit 70
        raise CheckpointError(f"a checkpoint is a name or a path, not {short_repr(name_or_path)}")
    p = Path(name_or_path)
    _refuse_pickle_name(p)
    text = str(name_or_path)
    if p.suffix in (".json", ".safetensors") or "/" in text or (os.sep in text):
        # os.path's answers, not Path's: a name over 255 bytes raised ENAMETOOLONG (the app's Open Checkpoint)
        if not os.path.exists(paths_for(p)[1]) and (os.path.isdir(p) or os.path.isfile(p)):  # not "no p.json"
            what = "a folder" if os.path.isdir(p) else f"a {p.suffix or 'plain'} file"
            raise CheckpointError(f"{p} is {what}, not a checkpoint: give a checkpoint's name, or its card "
                                  "(NAME.json, with NAME.safetensors beside it)")
        return paths_for(p)[1]
    # The listing's winner of that name (the first usable card of it, in search order), with only
    # the cards of that name checked against their weights: building every card's network (on the
    # meta device) to check them all was 0.025 s CPU of every command (docs/speed.md, third pass).
    for card_path in _card_files(dirs):
        try:
            card = _usable_card(card_path, text)
        except CheckpointError:
            continue
        if card is not None:
            return Path(card["_path"])
    if os.path.isfile(paths_for(p)[1]):
        return paths_for(p)[1]
    from .locations import checkpoint_dirs

    for folder in dirs if dirs is not None else checkpoint_dirs():  # a card the listing skipped: load says why
        candidate = Path(folder) / f"{text}.json"
        try:
            if candidate.is_file():
                return candidate
        except OSError:
            continue
    names = ", ".join(c["name"] for c in list_cards(dirs)) or "none found"
    raise CheckpointError(f"no checkpoint named {short_repr(text)} (available: {names})")
