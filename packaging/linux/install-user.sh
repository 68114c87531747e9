#!/usr/bin/env bash
# Put DPM Studio in the current user's application menu (under ~/.local/share, no root):
# the .desktop file, the AppStream metainfo and the icons (hicolor theme).
#
#   packaging/linux/install-user.sh                      # `dpm-studio` is on PATH (pip install -e .)
#   packaging/linux/install-user.sh dist/dpm-studio      # also link ~/.local/bin/dpm-studio to the bundle
#   packaging/linux/install-user.sh --uninstall
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
id="invalid.dpm_studio.DPMStudio"
data="${XDG_DATA_HOME:-$HOME/.local/share}"
bin="$HOME/.local/bin"
icons="$root/resources/icons/hicolor"

if [[ "${1:-}" == "--uninstall" ]]; then
    rm -f "$data/applications/$id.desktop" "$data/metainfo/$id.metainfo.xml"
    rm -f "$data"/icons/hicolor/*/apps/dpm-studio.png "$data/icons/hicolor/scalable/apps/dpm-studio.svg"
    if [[ -L "$bin/dpm-studio" ]]; then rm -f "$bin/dpm-studio"; fi
    echo "removed DPM Studio's menu entry and icons from $data"
    exit 0
fi

if [[ -n "${1:-}" ]]; then
    exe="$(cd "$1" && pwd)/dpm-studio"
    [[ -x "$exe" ]] || { echo "no executable $exe: build the bundle first (packaging/build.sh)" >&2; exit 2; }
    mkdir -p "$bin"
    ln -sfn "$exe" "$bin/dpm-studio"
    echo "linked $bin/dpm-studio -> $exe"
fi
install -Dm644 "$here/$id.desktop" "$data/applications/$id.desktop"
install -Dm644 "$here/$id.metainfo.xml" "$data/metainfo/$id.metainfo.xml"
for d in "$icons"/*/apps; do
    size="$(basename "$(dirname "$d")")"
    for f in "$d"/dpm-studio.*; do install -Dm644 "$f" "$data/icons/hicolor/$size/apps/$(basename "$f")"; done
done
command -v update-desktop-database >/dev/null && update-desktop-database -q "$data/applications" || true
command -v gtk-update-icon-cache >/dev/null && gtk-update-icon-cache -q -t "$data/icons/hicolor" || true
command -v dpm-studio >/dev/null || echo "note: dpm-studio is not on PATH; the menu entry needs it ($bin for the bundle)"
echo "installed the DPM Studio menu entry and icons under $data"
