"""Application start-up: ``run_app`` is what ``dpm-studio`` / ``dpm-studio gui [IMAGE]`` call."""

from __future__ import annotations

import sys

__all__ = ["run_app", "create_app", "small_pages_for_arrays"]

from .safe_settings import APP_NAME, ORG_NAME


def create_app(argv=None):
    """The QApplication (created once), with the names QSettings uses."""
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        app = QApplication(list(argv) if argv is not None else sys.argv[:1])
    app.setOrganizationName(ORG_NAME)
    app.setOrganizationDomain("dpm-studio.invalid")
    app.setApplicationName(APP_NAME)
    app.setApplicationDisplayName("DPM Studio")
    from .. import __version__

    app.setApplicationVersion(__version__)
    from ..paths import APP_ID
    from .icons import app_icon

    app.setDesktopFileName(APP_ID)  # Wayland: match the window to the installed .desktop file and icon
    app.setWindowIcon(app_icon())
    return app


# Torch's threads are left as the command line has them (torch's default: one per core). Leaving a
# core for the GUI thread (set_num_threads(n - 1), as the app did) changed the pixels: on the CPU the
# default bf16 network sums in a thread-count-dependent order, so the app's result on a 2-core machine
# differed from `dpm-studio inpaint`'s on the same file, mask and seed by 1 level in 1,588 of the
# 12,970 filled pixels (seen under Xvfb; fp32 is equal on 1 or 2 threads). One job, one way: the
# same pixels. The window stays usable: its run is in a worker thread and OpenMP's idle threads
# sleep after a 10 us spin (OMP_WAIT_POLICY=PASSIVE, GOMP_SPINCOUNT=1000, set by dpm_studio.cli before
# torch is imported).


def _install_excepthook(window):
    """An exception escaping a slot shows a dialog instead of passing silently (or aborting)."""
    from PySide6.QtWidgets import QMessageBox

    previous = sys.excepthook

    def hook(etype, value, tb):
        if issubclass(etype, KeyboardInterrupt):
            previous(etype, value, tb)
            return
        # The traceback goes to the log, never to the console: one line there, a dialog here.
        from ..errorlog import error_line, log_error

        note = log_error(value if value is not None else etype())
        print(f"dpm-studio: unexpected error: {error_line(value)} ({note}; please report it).", file=sys.stderr)
        try:
            QMessageBox.critical(window, "Unexpected error",
                                 f"{error_line(value)}\n\nThe app keeps running; {note}. Please report this.")
        except Exception:
            pass

    sys.excepthook = hook


def _close_on_sigint(app, window):
    """Ctrl+C in the terminal closes the window (through the usual questions) instead of being lost."""
    import signal

    from PySide6.QtCore import QTimer

    try:
        signal.signal(signal.SIGINT, lambda *_: QTimer.singleShot(0, window.close))
    except ValueError:  # not the main thread
        return
    # Python runs signal handlers only when it gets control: wake it up now and then.
    timer = QTimer(app)
    timer.setInterval(250)
    timer.timeout.connect(lambda: None)
    timer.start()


def small_pages_for_arrays() -> None:
    """numpy asks the kernel for 2 MB pages for every array over 4 MB (madvise); where the kernel
    then compacts memory to find them (transparent huge pages "defrag = madvise", a common default),
    the 144 MB float32 pixels of a 12 MP photo took 0.2-0.4 s of system time to allocate instead of
    0.06 s in 4 KB pages (File > Open, docs/speed.md). The app's arrays are touched once and drawn;
    torch's tensors (its own allocator) are not affected."""
    try:
        import numpy as np

        np._core.multiarray._set_madvise_hugepage(False)
    except Exception:  # noqa: BLE001 - another numpy: its default stays
        pass


def run_app(image_path=None) -> int:
    """Open the main window (with ``image_path`` if given) and run the event loop; returns the exit status."""
    from PySide6.QtCore import QTimer

    small_pages_for_arrays()
    app = create_app()
    import pyqtgraph as pg

    pg.setConfigOptions(antialias=True)
    from .main_window import MainWindow

    # The window first, torch after: the models are listed (and torch imported) in
    # a thread started once the event loop turns, after an image named on the command line is
    # opened, so that the two do not share the CPU (docs/speed.md, issue 26's app rows).
    win = MainWindow(list_models=False)
    win.show()
    _install_excepthook(win)
    app.aboutToQuit.connect(win.shutdown)
    _close_on_sigint(app, win)
    if image_path:
        QTimer.singleShot(0, win, lambda: win.files.open_image(image_path))
    QTimer.singleShot(0, win, lambda: win.checkpoints.refresh_in_background())
    return int(app.exec())


if __name__ == "__main__":
    sys.exit(run_app(sys.argv[1] if len(sys.argv) > 1 else None))
