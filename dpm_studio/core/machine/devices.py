"""The devices a run may ask for: the CPU, and CUDA where torch sees a card.

Apple's MPS is not offered: the schedules keep their tables (log alpha_bar and the step
rates) in float64, which MPS cannot hold, and no run on MPS has been verified. A request
for it is refused in one clear line rather than failing deep inside a run.
"""

from __future__ import annotations

from functools import lru_cache


def available_devices() -> list[tuple[str, str]]:
    """(label, torch device) pairs: the CPU, then every CUDA device torch reports."""
    import torch  # here, not with the module: the app imports it before its first window (docs/speed.md)

    out = [("CPU", "cpu")]
    try:
        if torch.cuda.is_available():
            for i in range(torch.cuda.device_count()):
                out.append((f"CUDA {i}: {torch.cuda.get_device_name(i)}", f"cuda:{i}"))
    except Exception:  # a broken driver: the CPU still works
        pass
    return out


def check_device(name: str) -> str:
    """``name`` if a run can use it here ("cpu", "cuda", "cuda:N"), else ValueError with the reason."""
    name = str(name).strip().lower()
    if name == "cpu":
        return name
    if name == "mps":
        raise ValueError("device 'mps' is not supported (the schedules need float64, which MPS lacks); "
                         "use cpu")
    if name == "cuda" or name.startswith("cuda:"):
        import torch

        if not torch.cuda.is_available():
            raise ValueError(f"device {name!r} is not available here: torch sees no CUDA device (use cpu)")
        if name != "cuda":
            try:
                index = int(name.split(":", 1)[1])
            except ValueError:
                raise ValueError(f"device {name!r} is not a device name (cpu, cuda or cuda:N)") from None
            if not 0 <= index < torch.cuda.device_count():
                raise ValueError(f"device {name!r} is not available here: torch sees "
                                 f"{torch.cuda.device_count()} CUDA device(s)")
        return name
    raise ValueError(f"device {name!r} is not available here (use cpu or cuda)")


@lru_cache(maxsize=1)
def _cpu_flags() -> frozenset[str]:
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("flags"):
                    return frozenset(line.split(":", 1)[1].split())
    except OSError:
        pass
    return frozenset()


def native_bf16(device) -> bool:
    """Whether bf16 network arithmetic is fast on ``device`` without hurting results.

    True on a CPU with AMX or AVX512-BF16 (Intel Sapphire Rapids and later, AMD Zen 4 and
    later), where oneDNN runs bf16 convolutions natively: one 256 x 256 photos-rgb pass took
    0.42 s instead of 1.11 s on one thread here, and the CLI's default denoise moved by at
    most 0.003 dB on the test images (docs/benchmarks.md). Elsewhere bf16 is emulated and
    slower, so False; False on CUDA too, where fp32 has not been measured against bf16.
    """
    import torch

    if torch.device(device).type != "cpu":
        return False
    return bool({"amx_bf16", "avx512_bf16"} & _cpu_flags())
