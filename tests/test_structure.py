"""The package's shape: no import cycles (issue 23, item 4), no file over 600 lines and no
class over 400 (the house rule; issue 23, item 3). The layers themselves are import-linter
contracts in pyproject.toml (``lint-imports``); this test catches a cycle anywhere, also
inside a layer, which a layers contract does not."""

from __future__ import annotations

import ast
from pathlib import Path

import grimp

import dpm_studio

FILE_LINES, CLASS_LINES = 600, 400


def _oversized(root: Path) -> list[str]:
    """Every .py file under ``root`` over FILE_LINES lines and every class over CLASS_LINES
    (from its first decorator or ``class`` line to its last line, nested classes too)."""
    out = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        src = path.read_text(encoding="utf-8")
        n = len(src.splitlines())
        if n > FILE_LINES:
            out.append(f"{rel}: {n} lines")
        for node in ast.walk(ast.parse(src, rel)):
            if isinstance(node, ast.ClassDef):
                first = min([node.lineno] + [d.lineno for d in node.decorator_list])
                length = node.end_lineno - first + 1
                if length > CLASS_LINES:
                    out.append(f"{rel}: class {node.name}: {length} lines")
    return out


def test_no_file_over_600_lines_and_no_class_over_400():
    """Split by responsibility (issue 23 item 3), not into mixins sharing one self; no class is
    let off (TaskPanel, the last one over, is made of parts now)."""
    root = Path(dpm_studio.__file__).parent
    assert len(list(root.rglob("*.py"))) > 50, "the walk finds the package"
    assert _oversized(root) == []


def test_the_size_check_finds_a_long_file_and_a_long_class(tmp_path):
    body = "    x = 1\n"
    (tmp_path / "fits.py").write_text("class A:\n" + body * 399)              # 400 lines: allowed
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "wide.py").write_text("@dec\nclass B:\n" + body * 399)   # 401 with its decorator
    (tmp_path / "long.py").write_text("x = 1\n" * 601)
    assert _oversized(tmp_path) == ["long.py: 601 lines", "pkg/wide.py: class B: 401 lines"]


def _cycles(graph) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    adj = {m: sorted(graph.find_modules_directly_imported_by(m)) for m in graph.modules}
    index, low, on, stack, out, counter = {}, {}, set(), [], [], 0
    for root in sorted(adj):
        if root in index:
            continue
        work = [(root, iter(adj[root]))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(adj[w])))
                elif w in on:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))
    return out


def test_no_import_cycles():
    graph = grimp.build_graph("dpm_studio", include_external_packages=False)
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle():
    graph = grimp.ImportGraph()
    for m in ("p", "p.a", "p.b", "p.c"):
        graph.add_module(m)
    graph.add_import(importer="p.a", imported="p.b")
    graph.add_import(importer="p.b", imported="p.a")
    graph.add_import(importer="p.b", imported="p.c")
    assert _cycles(graph) == [["p.a", "p.b"]]


def test_the_window_owns_its_parts_instead_of_mixing_them_in():
    """MainWindow's bases are Qt's alone: the file, run and checkpoint sides are objects it owns."""
    import ast
    from pathlib import Path

    src = (Path(__file__).resolve().parents[1] / "dpm_studio/gui/main_window.py").read_text(encoding="utf-8")
    (cls,) = [c for c in ast.parse(src).body if isinstance(c, ast.ClassDef) and c.name == "MainWindow"]
    assert [ast.unparse(b) for b in cls.bases] == ["QMainWindow"]



def test_only_the_session_writes_the_pixels_and_the_mask():
    """No module of the app but the session assigns to the document, its pixels or the mask (the
    canvas's tools paint through session.paint; Accept, undo, load and clear are session methods)."""
    import ast
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "dpm_studio"
    owned = re.compile(r"(^|\.)session\.(mask|doc)\b|(^|\.)doc\.(pixels|alpha)\b")
    found = []
    for path in sorted(root.rglob("*.py")):
        if path.name == "session.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets = node.targets if isinstance(node, ast.Assign) else \
                [node.target] if isinstance(node, (ast.AugAssign, ast.AnnAssign)) else []
            for t in targets:
                for el in (t.elts if isinstance(t, ast.Tuple) else [t]):
                    if owned.search(ast.unparse(el)):
                        found.append(f"{path.relative_to(root)}:{node.lineno} {ast.unparse(el)}")
    assert found == []
