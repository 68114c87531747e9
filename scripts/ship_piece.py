"""Ship a training piece's weights as a shipped checkpoint, keeping what the card says the model is for.

    python scripts/ship_piece.py RUN --into photos-rgb-v2 --note "piece 7 (...): how it was made" \
        [--measured "what checkpoint_compare said"] [--checkpoints DIR]

RUN is a folder holding a piece's ``photos-rgb.json`` and ``photos-rgb.safetensors``
(``scripts/gpu_train_photos.sh``'s ``$OUT``, or ``$OUT/train`` of a device call) or that card's
path. The weights and the card's ``training`` (which already sums the pieces per device in
``pieces`` and ``seen``) come from the piece; the shipped card's ``name``, ``description``,
``network``, ``defaults``, ``purpose``, ``data`` and ``candidate`` entries stay, its training
notes and commands are kept with the piece's appended, and the description's "N M training
examples" is brought up to the new total. Only ship by issue 21's rule (measure first with
``benchmarks/checkpoint_compare.py``, both sets), then re-measure the card's bound:
``dpm-studio evaluate checkpoints/NAME.json --update-card``.
"""

from __future__ import annotations

import argparse
import copy
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dpm_studio.core.files import checkpoint  # noqa: E402

KEPT = ("name", "description", "network", "defaults", "purpose", "data", "candidate")


def merged_card(old: dict, new: dict, note: str, measured: str | None = None) -> dict:
    """The shipped card ``old`` with the piece ``new``'s training: what the model is stays ``old``'s."""
    card = {k: copy.deepcopy(old[k]) for k in KEPT if k in old}
    training = copy.deepcopy(new["training"])
    notes = dict(old.get("training", {}).get("notes", {}))
    notes["source_run"] = f"{notes['source_run']}; {note}" if notes.get("source_run") else note
    if measured:
        notes["measured"] = measured
    training["notes"] = notes
    if old.get("training", {}).get("init"):
        training["init"] = old["training"]["init"]
    old_commands = list(old.get("training", {}).get("commands", []))
    training["commands"] = old_commands + [c for c in new["training"].get("commands", []) if c not in old_commands]
    card["training"] = training
    seen = training.get("seen", {})
    total = sum(d.get("examples", 0) for d in seen.values() if isinstance(d, dict))
    if total and "description" in card:
        card["description"] = re.sub(r"\d+(\.\d+)? M training examples", f"{total / 1e6:.2f} M training examples",
                                     card["description"])
    return card


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("run", help="the piece's folder (holding photos-rgb.json) or its card")
    ap.add_argument("--into", required=True, help="the shipped checkpoint's name, e.g. photos-rgb-v2")
    ap.add_argument("--note", required=True, help="how the piece was made: appended to the card's source_run note")
    ap.add_argument("--measured", help="what the piece measured against the shipped weights (replaces the note)")
    ap.add_argument("--checkpoints", default=str(ROOT / "checkpoints"), help="the shipped checkpoints' folder")
    args = ap.parse_args(argv)
    run = Path(args.run)
    new_path = run / "photos-rgb.json" if run.is_dir() else run
    old_path = Path(args.checkpoints) / f"{args.into}.json"
    for p in (new_path, old_path):
        if not p.is_file():
            print(f"ship_piece: no card at {p}", file=sys.stderr)
            return 2
    old = json.loads(old_path.read_text())
    new = json.loads(new_path.read_text())
    if old.get("network") != new.get("network"):
        print(f"ship_piece: {new_path}'s network is not {args.into}'s: not shipped", file=sys.stderr)
        return 2
    piece = checkpoint.load(new_path)
    card = merged_card(old, new, args.note, args.measured)
    checkpoint.save(old_path.with_suffix(""), piece.diffusion, piece.net, card)
    seen = card["training"].get("seen", {})
    print(f"shipped {new_path} as {old_path}: "
          + ", ".join(f"{d}: {v.get('examples', 0):,} examples in {v.get('pieces', '?')} pieces" for d, v in seen.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
