"""The desktop app (PySide6 + pyqtgraph). Entry point: :func:`dpm_studio.gui.app.run_app`.

The app's model is Qt-free and tested without a window (a second import-linter contract
keeps it so): ``session`` (the document, the mask and its feather, one undo history, the run
state, the last run; the only writer of pixels and mask) with ``events`` (what changed, for the
views to subscribe), ``predicates`` (when each command is enabled), ``frames`` (a run's frames,
where they lie, the progress in the user's units), ``maskops``, ``models`` (the model list's
wording, importing a checkpoint) and ``analysis``. Image files are read and written by
:mod:`dpm_studio.imageio`, which the CLI shares. The rest binds Qt to them: ``main_window``,
which owns ``files``, ``run_control``, ``checkpoints``, ``exports`` and ``noise_readout``;
``actions`` (every command declared once), ``canvas`` and its parts, ``task_panel`` and its
pages, ``panels``, ``runner``.
"""
