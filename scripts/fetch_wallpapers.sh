#!/usr/bin/env bash
# fetch_wallpapers.sh DEST [--all]
#
# Fills DEST with a flat folder of photographs for the "photos-rgb" / "photos-gray"
# recipes (use it with  DPM_STUDIO_WALLPAPERS=DEST  or  get_recipe("photos-rgb",
# wallpapers="DEST")), taken from Debian's plasma-workspace-wallpapers package:
#
#   apt-get download plasma-workspace-wallpapers   (apt-get update first if needed)
#   dpkg-deb -x  the .deb into a temporary folder, then copy one size variant of each
#   wallpaper to DEST/<Name>.<jpg|png>, with its KDE metadata as
#   DEST/<Name>.metadata.json (author, licence; the recipes record them) plus
#   DEST/COPYRIGHT.debian and DEST/SOURCES.txt.
#
# Size variant: the largest landscape image of each wallpaper that is a real file.  (The
# package lists 1920x1080, 1280x1024, ... for the older wallpapers, but those are all
# symlinks to a single 2560x1600 picture, so the largest real file is the only choice.)
#
# Only the wallpapers that are photographs are taken by default (the list below); the
# others in the package are digital art (KDE's Plasma 5 abstract designs, drawings).
# --all takes every wallpaper.
#
# Result of a real run (package 4:5.27.5-2, Debian bookworm, 94 MB download, ~2 s):
#   11 photographs, all 2560x1600 JPEG, 45.1 megapixels in all, 6.0 MB on disk;
#   licence LGPLv3 each (authors named in the .metadata.json files; the Debian
#   copyright file says GPL-2+ for the package).  The recipes area-downscale them to a
#   longer side of 1024 px by default (11 x 1024x640 = 7.2 megapixels).
#   --all gives 30 images, 252.7 megapixels, 71 MB.
#
# Needs: bash, apt-get, dpkg-deb (Debian/Ubuntu), network access to the Debian mirror.
set -euo pipefail

PHOTOS=(BytheWater ColdRipple ColorfulCups DarkestHour EveningGlow FallenLeaf Grey Kite
        OneStandsOut Path summer_1am)
PACKAGE=plasma-workspace-wallpapers

usage() { echo "usage: $0 DEST [--all]" >&2; exit 2; }
[ $# -ge 1 ] || usage
DEST=$1; shift
ALL=0
for arg in "$@"; do
    case $arg in
        --all) ALL=1 ;;
        *) usage ;;
    esac
done

command -v apt-get >/dev/null || { echo "apt-get not found (Debian/Ubuntu only)" >&2; exit 1; }
command -v dpkg-deb >/dev/null || { echo "dpkg-deb not found" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
apt_opts=()
# as root, download as root instead of apt's sandbox user (which cannot write to $tmp)
[ "$(id -u)" -eq 0 ] && apt_opts=(-o APT::Sandbox::User=root)

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"
    elif command -v sudo >/dev/null; then sudo "$@"
    else echo "need root for: $*" >&2; return 1
    fi
}

if ! (cd "$tmp" && apt-get "${apt_opts[@]}" download "$PACKAGE"); then
    echo "apt-get download failed; running apt-get update and retrying" >&2
    as_root apt-get update
    (cd "$tmp" && apt-get "${apt_opts[@]}" download "$PACKAGE")
fi
deb=$(ls "$tmp"/"$PACKAGE"_*.deb)
version=$(dpkg-deb -f "$deb" Version)
dpkg-deb -x "$deb" "$tmp/x"
root="$tmp/x/usr/share/wallpapers"

is_photo() {
    local name=$1 p
    for p in "${PHOTOS[@]}"; do [ "$p" = "$name" ] && return 0; done
    return 1
}

# pick one image of a wallpaper: its largest landscape file that is not a symlink (in
# this package the smaller "variants" are symlinks to one real image; the file name
# WxH gives the true size)
pick_variant() {
    local dir=$1 f base w h best="" best_px=0
    for f in "$dir"/*; do
        [ -f "$f" ] && [ ! -L "$f" ] || continue
        base=$(basename "$f"); base=${base%.*}
        [[ $base =~ ^([0-9]+)x([0-9]+)$ ]] || continue
        w=${BASH_REMATCH[1]}; h=${BASH_REMATCH[2]}
        [ "$w" -ge "$h" ] || continue
        if [ $((w * h)) -gt "$best_px" ]; then best_px=$((w * h)); best=$f; fi
    done
    echo "$best"
}

mkdir -p "$DEST"
count=0; pixels=0
{
    echo "Wallpapers from Debian package $PACKAGE $version (fetched $(date -u +%Y-%m-%d))"
    echo "by scripts/fetch_wallpapers.sh; mode: $([ $ALL = 1 ] && echo all || echo photographs only)"
    echo
} > "$DEST/SOURCES.txt"
for dir in "$root"/*/; do
    name=$(basename "$dir")
    [ "$ALL" = 1 ] || is_photo "$name" || continue
    src=$(pick_variant "$dir/contents/images")
    [ -n "$src" ] || { echo "skip $name: no landscape image" >&2; continue; }
    ext=${src##*.}
    cp "$src" "$DEST/$name.$ext"
    [ -f "$dir/metadata.json" ] && cp "$dir/metadata.json" "$DEST/$name.metadata.json"
    size=$(basename "$src"); size=${size%.*}
    w=${size%x*}; h=${size#*x}
    pixels=$((pixels + w * h)); count=$((count + 1))
    echo "$name.$ext  ${size}  from /usr/share/wallpapers/$name/contents/images/$(basename "$src")" >> "$DEST/SOURCES.txt"
done
cp "$tmp/x/usr/share/doc/$PACKAGE/copyright" "$DEST/COPYRIGHT.debian" 2>/dev/null || true
mp=$(awk -v p="$pixels" 'BEGIN { printf "%.1f", p / 1e6 }')
echo "$count images, $mp megapixels in all" >> "$DEST/SOURCES.txt"
echo "$DEST: $count images, $mp megapixels ($PACKAGE $version)"
