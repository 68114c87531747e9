"""Each run setting declared once: default, range, unit, help and choices on the request's field.

A request's field is made with :func:`setting` (as IOPaint's ``schema.py`` does with
pydantic's ``Field(ge=, le=, description=)``): the :class:`Spec` in its metadata is read by

- the request's own checks (:func:`check`, called by ``validate``: the API's ranges are the
  command line's, since both are these);
- the command line's options (:func:`dpm_studio.cli.args.add_request_options`);
- the app's widgets' ranges and tooltips (``gui/task_panel.py``).

A setting shown in other units than the request holds (the noise level: 0-255 on screen and on
the command line, [0, 1] in the request) has ``scale``: shown = held x scale.
"""

from __future__ import annotations

import math
from dataclasses import MISSING, dataclass, field, fields

__all__ = ["Spec", "setting", "spec_of", "specs", "default_of", "check", "is_whole", "is_real"]


@dataclass(frozen=True)
class Spec:
    """How one setting is bounded, named and explained. ``lo``/``hi`` in shown units."""

    what: str                       # the noun a message uses: "the number of samples must be ..."
    help: str = ""                  # one or two sentences: the --help line and the app's tooltip
    lo: float | None = None
    hi: float | None = None
    open_lo: bool = False           # lo itself is not allowed (a noise level of 0)
    choices: tuple | None = None
    unit: str = ""                  # words after a range in messages and help: "pixels", "0-255 units"
    suffix: str = ""                # after the value in the app's widget: " px", " / 255"
    scale: float = 1.0              # shown value = held value x scale
    flag: str | None = None         # the command line's option, if not --<name-with-dashes>
    aliases: tuple = ()             # (old name, choice) pairs still accepted for a choice (saved metadata, scripts)
    default_text: str = ""          # the default in words where the field's is None (decided by the job, the model)

    def held(self, shown):
        """A value in shown units (the app's box, the command line's option) in the request's units."""
        return shown / self.scale if self.scale != 1 else shown

    def canonical(self, value):
        """``value`` with an old name replaced by the choice it stands for."""
        return dict(self.aliases).get(value, value) if isinstance(value, str) else value

    def range_text(self) -> str:
        def num(v):
            return f"{int(v):,}" if float(v).is_integer() else f"{v:g}"
        if self.open_lo:
            return f"more than {num(self.lo)} and at most {num(self.hi)}"
        return f"{num(self.lo)} to {num(self.hi)}"

    def describe(self, default=None) -> str:
        """The help text, then in one parenthesis the range with its unit and the default (shown units):
        --help and the app's tooltip, worded alike for every setting ("(0 to 32 pixels; default 0)"); a
        ``default_text`` says the default where the value alone would not (decided by the job or the model)."""
        parts = []
        if self.lo is not None and self.hi is not None:
            parts.append(self.range_text() + (f" {self.unit}" if self.unit else ""))
        if self.default_text:
            parts.append(f"default {self.default_text}")
        elif isinstance(default, bool):
            pass
        elif isinstance(default, (int, float)):
            v = default * self.scale
            parts.append(f"default {v:g}" if isinstance(v, float) else f"default {v}")
        elif isinstance(default, str):
            parts.append(f"default {default}")
        return self.help + (f" ({'; '.join(parts)})" if parts else "")

    def refusal(self, value) -> str | None:
        """Why ``value`` (held units) is refused, in one line; None when it is fine."""
        if isinstance(value, (tuple, list)) or getattr(value, "ndim", 0) == 1:  # a size, a region: each number
            return next((why for why in map(self.refusal, value) if why), None)
        if isinstance(value, bool) and self.lo is None:
            return None
        if self.choices is not None:
            return None if self.canonical(value) in self.choices \
                else f"{self.what} must be one of {', '.join(map(str, self.choices))}"
        if self.lo is None and self.hi is None:
            return None
        try:
            v = int(value) if is_whole(value) and self.scale == 1 else float(value) * self.scale
        except (TypeError, ValueError):
            return f"{self.what} must be a number"
        bad = (isinstance(v, float) and not math.isfinite(v)) \
            or (self.lo is not None and (v < self.lo or (self.open_lo and v == self.lo))) \
            or (self.hi is not None and v > self.hi)
        return f"{self.what} must be {self.range_text()}{' ' + self.unit if self.unit else ''}" if bad else None


def setting(default, what: str, help: str = "", **kw):
    """A dataclass field with its :class:`Spec` (``default`` may be None: decided by the job)."""
    return field(default=default, metadata={"spec": Spec(what, help, **kw)})


def specs(cls) -> dict:
    """{field name: Spec} of a request class, in declaration order."""
    return {f.name: f.metadata["spec"] for f in fields(cls) if "spec" in f.metadata}


def spec_of(cls, name: str) -> Spec:
    return specs(cls)[name]


def default_of(cls, name: str):
    f = next(f for f in fields(cls) if f.name == name)
    return None if f.default is MISSING else f.default


def check(req) -> None:
    """Raise ValueError (one line: "the ... must be ...") for a declared setting out of its range."""
    for name, spec in specs(type(req)).items():
        value = getattr(req, name)
        if value is None:
            continue
        why = spec.refusal(value)
        if why:
            raise ValueError(f"the {why}")


def is_whole(value) -> bool:
    """An int (numpy's integer scalars too), not a bool, a float or a string."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    kind = getattr(getattr(value, "dtype", None), "kind", "")
    return kind in ("i", "u") and getattr(value, "ndim", 1) == 0


def is_real(value) -> bool:
    """A finite or infinite real number (int, float, numpy scalar), not a bool or a string."""
    if isinstance(value, (bool, str, bytes)):
        return False
    try:
        float(value)
    except (TypeError, ValueError, OverflowError):
        return False
    return getattr(value, "ndim", 0) == 0
