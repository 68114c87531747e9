"""The desktop app (PySide6 + pyqtgraph). Entry point: :func:`dpm_studio.gui.app.run_app`.

``maskops`` and ``analysis`` are Qt-free (numpy); image files are read and written by the
Qt-free :mod:`dpm_studio.imageio`, which the CLI shares. Everything else here needs Qt.
"""
