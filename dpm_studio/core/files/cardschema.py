"""The checkpoint card's schema: every field checked for type and range before anything is built.

A card is JSON anyone can write; the app lists, displays and rebuilds models from it. So
before a card is used: the fields shown to the user have the types they are shown as
(``name`` a string, ``bound.K`` a number), every number a model is built from is finite
and in a sane range, and, in :func:`check_weights_fit`, the sizes it asks for are bounded
by what its own weights file can hold, so a crafted card (a U-Net of base 1200, T = 3e8)
is refused before a byte is allocated for it.
"""

from __future__ import annotations

import json
import math
import unicodedata
from functools import lru_cache

FAMILIES = ("gaussian", "binomial")
#: Network types that work on images (the rest are the paper's toy models of points and sequences).
IMAGE_NETS = ("unet", "multiscale")
#: The most diffusion steps a card may ask for (the shipped cards use 40 to 2000).
MAX_T = 100_000
#: The most a plain integer in a network's arguments may be (widths, counts).
MAX_INT = 1_000_000
#: The run settings a card may give its own default for (``"defaults": {"denoise": {"ensemble": 1}}``),
#: with their largest value (core/run/requests.py's ``model_defaults``; its ranges are these).
CARD_DEFAULTS = {"denoise": {"ensemble": 8, "clip_steps": 8}}


class CardError(ValueError):
    """What is wrong with a card, in one line (without the card's path)."""


class CheckpointError(ValueError):
    """A checkpoint that cannot be used; the message says why, in one line. (Defined here, where
    torch is not imported, so that a front end can catch it before a model is needed; the
    checkpoint module raises it.)"""


def _is_num(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _num(d: dict, key: str, where: str, lo: float, hi: float, *, required=False, integer=False,
         open_lo=False, nullable=False):
    if key not in d:
        if required:
            raise CardError(f"{where}{key} is missing")
        return
    v = d[key]
    if v is None and nullable:
        return
    ok = _is_int(v) if integer else _is_num(v)
    if not ok:
        kind = "an integer" if integer else "a finite number"
        raise CardError(f"{where}{key} must be {kind}, not {short_repr(v)}")
    if v < lo or v > hi or (open_lo and v == lo):
        raise CardError(f"{where}{key} = {v} is out of range ({'(' if open_lo else '['}{lo:g}, {hi:g}])")


def _str(d: dict, key: str, where: str, *, required=False, choices=None, max_len=2000):
    if key not in d:
        if required:
            raise CardError(f"{where}{key} is missing")
        return
    v = d[key]
    if not isinstance(v, str) or (required and not v.strip()):
        raise CardError(f"{where}{key} must be a non-empty string, not {short_repr(v)}" if required
                        else f"{where}{key} must be a string, not {short_repr(v)}")
    if len(v) > max_len:
        raise CardError(f"{where}{key} is {len(v):,} characters long (at most {max_len:,})")
    if choices is not None and v not in choices:
        raise CardError(f"{where}{key} is {v!r}; expected one of {', '.join(choices)}")


def _obj(d: dict, key: str, where: str, required=True) -> dict:
    v = d.get(key)
    if v is None and not required and key not in d:
        return {}
    if not isinstance(v, dict):
        raise CardError(f"{where}{key!r} must be an object, not {short_repr(v)}")
    return v


def short_repr(v) -> str:
    """``repr(v)`` cut to 40 characters, for one-line messages about a bad value."""
    text = repr(v)
    return text if len(text) <= 40 else text[:37] + "..."


#: Characters a terminal acts on or that reorder or hide text: C0, DEL and C1 controls (Cc), format
#: characters such as bidi overrides (Cf), line and paragraph separators, lone surrogates.
UNPRINTABLE = ("Cc", "Cf", "Zl", "Zp", "Cs")


def unprintable(text: str) -> list[str]:
    """The characters of ``text`` that must not reach a terminal as they are (see UNPRINTABLE)."""
    return [c for c in text if unicodedata.category(c) in UNPRINTABLE]


def printable(text) -> str:
    """``text`` with every unprintable character written as an escape (``\\x1b``, ``\\u202e``)."""
    text = str(text)
    if not unprintable(text):
        return text
    return "".join(c.encode("unicode_escape").decode("ascii") if unicodedata.category(c) in UNPRINTABLE else c
                   for c in text)


def check_name(name) -> None:
    """A checkpoint name the loader accepts: a non-empty string of at most 200 printable characters."""
    _str({"name": name}, "name", "", required=True, max_len=200)
    if unprintable(name):
        raise CardError("name holds control characters")


def _check_kwargs(kwargs: dict, where: str):
    for k, v in kwargs.items():
        if not isinstance(k, str) or unprintable(k):  # no constructor takes such a name; it would be printed
            raise CardError(f"{where}: argument names must be strings of printable characters")
        if isinstance(v, bool) or v is None:
            continue
        if isinstance(v, str):
            if len(v) > 100:
                raise CardError(f"{where}.{k} is too long a string")
        elif isinstance(v, list):
            if not 1 <= len(v) <= 16 or not all(_is_int(x) and 1 <= x <= 64 for x in v):
                raise CardError(f"{where}.{k} must be a list of 1-16 integers between 1 and 64")
        elif _is_int(v):
            if not 0 <= v <= MAX_INT:
                raise CardError(f"{where}.{k} = {v} is out of range [0, {MAX_INT:,}]")
        elif _is_num(v):
            if abs(v) > 1e6:
                raise CardError(f"{where}.{k} = {v} is out of range")
        else:
            raise CardError(f"{where}.{k} must be a number, string or list of integers, not {short_repr(v)}")
    _num(kwargs, "T", f"{where}.", 2, MAX_T, integer=True)
    _num(kwargs, "channels", f"{where}.", 1, 4, integer=True)


def check_card(card) -> None:
    """Raise :class:`CardError` unless ``card`` (a parsed JSON value) is a usable card."""
    if not isinstance(card, dict):
        raise CardError("it must hold a JSON object")
    check_name(card.get("name"))
    _str(card, "family", "", required=True, choices=FAMILIES)
    _str(card, "description", "")
    _str(card, "weights", "", max_len=255)
    digest = card.get("weights_sha256")
    if digest is not None and not (isinstance(digest, str) and len(digest) == 64
                                   and all(c in "0123456789abcdef" for c in digest)):
        raise CardError(f"weights_sha256 must be 64 lowercase hexadecimal digits, not {short_repr(digest)}")
    _num(card, "parameters", "", 0, 1e12, integer=True)

    net = _obj(card, "network", "")
    _str(net, "type", "network.", required=True, max_len=100)
    _check_kwargs(_obj(net, "kwargs", "network.", required=False), "network.kwargs")

    diff = _obj(card, "diffusion", "")
    sched = _obj(diff, "schedule", "diffusion.")
    _str(sched, "kind", "diffusion.schedule.", required=True, max_len=50)
    _num(sched, "T", "diffusion.schedule.", 2, MAX_T, required=True, integer=True)
    for k, v in sched.items():
        if k in ("kind", "T"):
            continue
        if isinstance(v, str) and k == "init":
            continue
        if not _is_num(v) or not 0 <= v <= 1:
            raise CardError(f"diffusion.schedule.{k} must be a number between 0 and 1, not {short_repr(v)}")
    _str(diff, "parametrisation", "diffusion.", max_len=50)
    _str(diff, "first_step", "diffusion.", max_len=50)
    _num(diff, "base_rate", "diffusion.", 0, 1, open_lo=True)
    if diff.get("base_rate") == 1:
        raise CardError("diffusion.base_rate must be below 1")

    data = _obj(card, "data", "")
    _num(data, "channels", "data.", 1, 4, integer=True)
    _str(data, "recipe", "data.", max_len=200)
    if "scale" in data:
        scale = _obj(data, "scale", "data.")
        _num(scale, "mean", "data.scale.", -1e3, 1e3)
        _num(scale, "std", "data.scale.", 0, 1e3, open_lo=True)
        if _is_num(scale.get("std")) and scale["std"] < 1e-6:
            raise CardError(f"data.scale.std = {scale['std']} is too small (at least 1e-6)")
    kw = net.get("kwargs") or {}
    if "channels" in kw and "channels" in data and kw["channels"] != data["channels"]:
        raise CardError(f"its data has {data['channels']} channel(s) but its network takes {kw['channels']}")

    bound = card.get("bound")
    if bound is not None:
        if not isinstance(bound, dict):
            raise CardError(f"'bound' must be an object, not {short_repr(bound)}")
        for k in ("K", "K_stderr", "K_minus_L_null", "L_null", "elbo", "K_per_dim"):
            _num(bound, k, "bound.", -1e9, 1e9, nullable=True)
        for k in ("n", "n_mc", "n_t"):
            _num(bound, k, "bound.", 0, 1e12, integer=True, nullable=True)
        _str(bound, "units", "bound.", max_len=50)
    for key in ("training",):
        if key in card and not isinstance(card[key], dict):
            raise CardError(f"{key!r} must be an object, not {short_repr(card[key])}")
    _check_defaults(card)


def _check_defaults(card: dict) -> None:
    """The card's own run defaults: only the settings of :data:`CARD_DEFAULTS`, whole numbers in range."""
    defaults = _obj(card, "defaults", "", required=False)
    for task, given in defaults.items():
        if task not in CARD_DEFAULTS:
            raise CardError(f"defaults.{printable(task)[:40]} is not a task with card defaults "
                            f"({', '.join(CARD_DEFAULTS)})")
        given = _obj(defaults, task, "defaults.")
        for name in given:
            if name not in CARD_DEFAULTS[task]:
                raise CardError(f"defaults.{task}.{printable(name)[:40]} is not a setting a card may give "
                                f"({', '.join(CARD_DEFAULTS[task])})")
            _num(given, name, f"defaults.{task}.", 1, CARD_DEFAULTS[task][name], integer=True)


def is_image_card(card: dict) -> bool:
    """True for a card whose network restores images (not the toy point and sequence models)."""
    net = card.get("network")
    return isinstance(net, dict) and net.get("type") in IMAGE_NETS


def check_weights_fit(card: dict, weights_bytes: int) -> None:
    """Refuse a card whose model needs more numbers than its weights file can hold.

    The network is built on PyTorch's ``meta`` device, which records shapes and allocates
    nothing, so a card asking for billions of parameters costs milliseconds to refuse. The
    schedule's rates (float64, T of them) are stored in the weights too.
    """
    T = card["diffusion"]["schedule"]["T"]
    if 8 * (T - 1) > weights_bytes:
        raise CardError(f"its schedule has T = {T:,} steps but its weights file ({weights_bytes:,} bytes) "
                        "cannot hold that many rates")
    need = network_bytes(card["network"])
    if need > weights_bytes:
        raise CardError(f"its network needs {need:,} bytes of weights but its weights file holds only "
                        f"{weights_bytes:,}")


def network_bytes(spec: dict) -> int:
    """The bytes of the parameters and buffers of the network a card's ``network`` describes
    (CardError where it cannot be built).

    Known once per description in a process: a command checks its card when it finds the name
    and again when it loads it, 9 ms each for photos-rgb-v2 (docs/speed.md, issue 26). The
    description is the key, as JSON text, so a changed card is built again."""
    return _network_bytes(json.dumps(spec, sort_keys=True))


@lru_cache(maxsize=16)
def _network_bytes(spec_json: str) -> int:
    import torch

    from ..math.nets import build_net

    try:
        with torch.device("meta"):
            net = build_net(json.loads(spec_json))
    except Exception as e:  # noqa: BLE001 - whatever a bad card makes a constructor raise
        raise CardError(f"it describes a model that cannot be built: {type(e).__name__}: {printable(str(e))}") from None
    return sum(t.numel() * t.element_size() for t in (*net.parameters(), *net.buffers()))
