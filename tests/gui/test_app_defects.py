"""A photo restorer's defects of the app (helper appfix, session 10). Each test failed before its fix."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QTreeView

from dpm_studio.gui.dialogs import IMAGE_FILTER, file_dialog

LONG_NAMES = ["grandmother-wedding-1957-scan-600dpi-restored-final.png", "b.tif", "c-noisy.jpg"]


def _file_view(qtbot, dlg, rows: int) -> QTreeView:
    views = [v for v in dlg.findChildren(QTreeView) if v.isVisible()]
    assert len(views) == 1, "Qt's own dialog shows one detail view"
    view = views[0]
    root = view.rootIndex()
    qtbot.waitUntil(lambda: view.model().rowCount(root) >= rows, timeout=10_000)   # the folder loads in a thread
    QApplication.processEvents()
    return view


def test_the_file_dialog_shows_whole_names_sizes_and_types(qtbot, win, tmp_path):
    """Qt's own file dialog (no native one on a bare X server) opened at 630 x 430 px with fixed columns:
    a long name, the size ("58....KiB") and the type ("PN...ge") were cut short."""
    for name in LONG_NAMES:
        (tmp_path / name).write_bytes(b"x" * 60_000)
    for mode, path in (("open", str(tmp_path)), ("save", str(tmp_path / "result.png"))):
        dlg = file_dialog(win, "Open Image", path, IMAGE_FILTER if mode == "open" else "PNG (*.png)", mode)
        qtbot.addWidget(dlg)
        dlg.show()
        qtbot.waitExposed(dlg)
        view = _file_view(qtbot, dlg, 1 if mode == "save" else len(LONG_NAMES))
        header = view.header()
        for col in range(header.count()):
            if header.isSectionHidden(col):
                continue
            need = max(view.sizeHintForColumn(col), header.sectionSizeHint(col))
            assert header.sectionSize(col) >= need, \
                f"{mode}: column {col} ({view.model().headerData(col, Qt.Horizontal)}) is {header.sectionSize(col)} px, " \
                f"its text needs {need}"
        avail = dlg.screen().availableGeometry()   # the dialog opens large, within the screen
        assert min(1000, 0.8 * avail.width()) <= dlg.width() <= avail.width(), (dlg.width(), avail.width())
        assert min(600, 0.8 * avail.height()) <= dlg.height() <= avail.height(), (dlg.height(), avail.height())
        dlg.close()


def test_the_save_dialog_starts_in_the_folder_with_the_name_given(qtbot, win, tmp_path):
    dlg = file_dialog(win, "Save Image As", str(tmp_path / "photo-restored.png"), "PNG (*.png)", "save")
    qtbot.addWidget(dlg)
    assert Path(dlg.directory().absolutePath()) == tmp_path
    assert [Path(p).name for p in dlg.selectedFiles()] == ["photo-restored.png"]
