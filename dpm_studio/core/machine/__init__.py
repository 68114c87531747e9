"""The machine a run or a training is on: ``memory`` (how much there is, how much a run takes, what an
allocation failure looks like) and ``devices`` (the CPU and the CUDA devices torch sees, bf16).
Above the math only; every wing above may ask it.
"""
