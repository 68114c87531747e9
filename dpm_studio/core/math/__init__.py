"""The paper's math: diffusion processes, their reverse networks, conditioning, sampling and the bound.

``diffusion`` (time, the schedule's alpha_bar, the model: a process and its network), ``gaussian``
and ``binomial`` (the two families, methods named after the paper's symbols), ``schedules`` (b_1 ..
b_T), ``nets`` and ``nets_image`` (reverse-process networks rebuilt from a JSON spec),
``conditioning`` (r(x_0): inpainting, denoising), ``smc`` (the weights that make conditioning
exact), ``sampling`` (the reverse trajectory as a generator of step records), ``bound`` (K, L_null,
log p by importance sampling), ``reference`` (closed-form kernels for tests), ``rng``.
The lowest wing: it imports no other part of the package.
"""
