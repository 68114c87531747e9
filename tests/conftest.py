"""Test set-up shared by every suite: headless Qt, isolated settings, seeded torch on one thread.

Torch runs on one thread in the tests and in every subprocess they start (the variables are
inherited): on a loaded 2-core machine two threads per process made the core and CLI tests
three times slower (15.8 min against 5), and no test checks anything that depends on the count.
"""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_var] = "1"

import pytest  # noqa: E402
import torch  # noqa: E402

torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def _isolate(tmp_path, monkeypatch):
    """Keep QSettings and user folders of a test run out of the user's home."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir(exist_ok=True)
    torch.manual_seed(0)
    torch.set_num_threads(1)  # a test may have changed it (the CLI's --threads, the app's helpers)
    yield


@pytest.fixture
def one_thread():
    """torch on one thread for the test (the machine's cores are shared)."""
    import torch

    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@pytest.fixture
def no_hang():
    """Turn a blocking open() (a FIFO read as a file) into a test failure after 20 s instead of a hung run."""
    import signal

    class Blocked(BaseException):
        """Not an OSError (TimeoutError is one): code that catches OSError around an open() must not
        swallow it and carry on, as is_tiff's did while every FIFO test waited out the 20 s and passed."""

    def fail(*_):
        raise Blocked("blocked: a FIFO was opened")

    old = signal.signal(signal.SIGALRM, fail)
    signal.alarm(20)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)
