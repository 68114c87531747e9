"""The math's named choices (the settings a request offers), without torch: the run requests
import these, and the app's window imports the requests before its first paint, when torch is
not yet loaded (docs/speed.md, issue 26's app rows). :mod:`.conditioning` and :mod:`.gaussian`
own and use them."""

# How hard (known) pixels are honoured. "exact": weighed by sequential Monte Carlo (the only route
# to p r for a delta r); the other two are rules, approximations named as such (their error on the
# correlated pair is in docs/conditioning.md). The old names stay as aliases (saved metadata, scripts).
INPAINT_MODES = ("forward-approx", "clamp-approx", "exact")
INPAINT_MODE_ALIASES = {"forward": "forward-approx", "clamp": "clamp-approx"}
PRODUCTS = ("balanced", "paper", "noised")
INPAINT_STARTS = ("harmonic", "noise")
DENOISE_STARTS = ("matched", "prior-approx")
VARIANCES = ("learned", "large")  # the reverse kernels' variance when sampling (gaussian.py)
