"""The desktop app (PySide6 + pyqtgraph). Entry point: :func:`dpm_studio.gui.app.run_app`.

The app's model is the Qt-free ``model/`` package (import-linter contracts keep it free of Qt
and of the rest of the app): ``session`` with its ``events``, ``predicates``, ``frames``,
``maskops``, ``models`` and ``analysis``. Image files are read and written by
:mod:`dpm_studio.imageio`, which the CLI shares. The rest binds Qt to them: ``main_window``,
which owns ``files``, ``run_control``, ``checkpoints``, ``exports`` and ``noise_readout``;
``actions`` (every command declared once), ``canvas`` and its parts, ``task_panel`` and its
pages, ``panels``, ``runner``.
"""
