"""Running a job: from a run request to step records.

``settings`` (each setting declared once) and ``requests`` (one typed request per task),
``jobs`` (the resolver: a request plus pixels, mask and source become one job), ``masks``,
``regions`` and ``tiling`` (the plan: crops, a region, tiles), the noise: ``noise`` (the
estimate), ``noise_level`` (a camera's noise level function), ``anscombe`` and ``noise_law`` (the
law a denoiser runs under), and ``tasks`` (``run_task``: inpaint, denoise, sample as generators).
Imports the files, the machine and the math; never the train wing.
"""
