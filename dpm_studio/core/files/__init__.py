"""Files and checkpoints: everything the core reads from or writes to disk, safely.

``safefiles`` (opening what a user hands us: no FIFOs, devices or oversized files), ``atomic``
(writes through a temporary file and a rename), ``formats`` (16-bit and float PNG/TIFF), ``pnm``
(16-bit colour PPM), ``decode`` (the one image decoder: ``ImageData``), ``cardschema`` (the
checkpoint card checked field by field), ``checkpoint`` (safetensors weights plus a card, never
unpickled; the load cache), ``locations`` (where checkpoints are found). Imports the math and the
machine only.
"""
