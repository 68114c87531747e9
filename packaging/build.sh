#!/usr/bin/env bash
# Build the one-folder desktop bundle dist/dpm-studio/ with PyInstaller, in the current Python
# environment (the venv the README's install made: CPU torch, pip install -e ".[dev]").
# PyInstaller is installed into that environment if it is missing. Usage: packaging/build.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python}"
if ! "$PY" -c "import dpm_studio, torch, PySide6" 2>/dev/null; then
    echo "$PY cannot import dpm_studio, torch and PySide6: activate the environment DPM Studio is" \
         "installed in (pip install -e .) or set PYTHON=/path/to/its/python" >&2
    exit 2
fi
if ! "$PY" -c "import PyInstaller" 2>/dev/null; then
    echo "installing PyInstaller into $("$PY" -c 'import sys; print(sys.prefix)')"
    "$PY" -m pip install -q "pyinstaller>=6.10"
fi
"$PY" -m PyInstaller --version
start=$(date +%s)
"$PY" -m PyInstaller --noconfirm --clean --log-level WARN \
    --distpath dist --workpath build/pyinstaller packaging/dpm-studio.spec
end=$(date +%s)
echo "built dist/dpm-studio/ in $((end - start)) s"
echo "bundle size: $(du -sh dist/dpm-studio | cut -f1) ($(du -sb dist/dpm-studio | cut -f1) bytes)"
echo "check it: dist/dpm-studio/dpm-studio --version && dist/dpm-studio/dpm-studio self-test"
