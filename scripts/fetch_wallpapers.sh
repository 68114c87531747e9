#!/usr/bin/env bash
# fetch_wallpapers.sh DEST [--packages KEY,KEY,...] [--all]
#
# Fills DEST with a flat folder of photographs for the "photos-rgb" / "photos-gray"
# recipes (use it with  DPM_STUDIO_WALLPAPERS=DEST  or  get_recipe("photos-rgb",
# wallpapers="DEST")), taken from Debian packages of wallpapers:
#
#   KEY       Debian package               photographs taken (the rest is digital art)
#   plasma    plasma-workspace-wallpapers  11, kept as DEST/<Name>.jpg (as before)
#   lomiri16  lomiri-wallpapers-16.04      13, as DEST/lomiri16-<file>
#   lomiri20  lomiri-wallpapers-20.04       1, as DEST/lomiri20-<file>
#   lxqt      lxqt-themes                  11, as DEST/lxqt-<file>
#
# Default: all four (--packages plasma for the 11 photographs of earlier versions; the
# names of those files never change, so a checkpoint trained on them finds them again).
# For each package: apt-get download, dpkg-deb -x into a temporary folder, copy the
# photographs listed below (original files, not re-encoded) and write for each image
# DEST/<stem>.metadata.json: {"package", "version", "source" (path in the package),
# "licence", "authors" where known, "copyright" (the Debian copyright stanza's line),
# and for plasma the wallpaper's own KDE metadata under "kde"}.  Plus
# DEST/COPYRIGHT.debian (every fetched package's debian/copyright, one after another)
# and DEST/SOURCES.txt (packages, versions, one line per image, the total).
#
# Photographs only, by explicit per-package lists (PHOTOS_*), chosen by looking at every
# image; --all takes every image of the chosen packages instead.  Never fetched (kept
# for independent evaluation; the recipes also refuse them, see
# dpm_studio/core/train/data/images.py EXCLUDED_PACKAGES): mate-backgrounds,
# mypaint-data-extras.  Checked and without photographs (Debian bookworm):
# gnome-backgrounds 43.1-1 (renders), ukui-wallpapers, sway-backgrounds, lomiri-wallpapers,
# desktop-base, propaganda-debian, xfdesktop4-data; see docs/training.md.
#
# Result of a real run (Debian bookworm, 147 MB downloaded, a few seconds):
#   36 photographs, 218.8 megapixels in all, 41 MB on disk.  The recipes area-downscale
#   them to a longer side of 1024 px by default.  --packages plasma: 11 photographs,
#   all 2560x1600 JPEG, 45.1 megapixels (as before).
#
# Needs: bash, apt-get, dpkg-deb (Debian/Ubuntu), file(1), network access to the mirror.
set -euo pipefail

ALL_KEYS=(plasma lomiri16 lomiri20 lxqt)
EXCLUDED_PACKAGES=(mate-backgrounds mypaint-data-extras)

# plasma: wallpaper folders under /usr/share/wallpapers (one size variant is picked)
PHOTOS_plasma=(BytheWater ColdRipple ColorfulCups DarkestHour EveningGlow FallenLeaf Grey Kite
               OneStandsOut Path summer_1am)
# lomiri16: left out umang (abstract colour field), analogpattern (surface texture under a
# colour gradient overlay)
PHOTOS_lomiri16=(Bridge_by_Sander_Klootwijk.jpg Dragonfly_by_Bolly.jpg Picture_0B_by_freespace.jpg
                 Picture_1A_by_freespace.jpg Wine_by_Jakkub_Mede.jpg aitzgorri_by_Aitzol_Berasategi.jpg
                 free_by_Peter_Nerlich.jpg friends_by_Aitzol_Berasategi.jpg greentock_by_Peter_Nerlich.jpg
                 life_by_Aitzol_Berasategi.jpg picosdeeuropa_by_Aitzol_Berasategi.jpg
                 seeding_by_Clements_Engelhardt.jpg sunset_by_Aitzol_Berasategi.jpg)
# lomiri20: left out Fossa, Painting-Colors (drawings), Infinite-Sea (composite)
PHOTOS_lomiri20=(Kleiber_by_Lukas_Baubkus.jpg)
# lxqt: FILE:AUTHOR (authors from the upstream wallpapers/License credits and file names;
# empty: not credited); left out the 13 logo / origami / triangles / waves designs
PHOTOS_lxqt=(Butterfly-Kenneth-Wimer.jpg:"Kenneth Wimer" Valendas.png: after-the-rain.jpg:stefonarch
             appleflower.png:stefonarch beam.png:stefonarch butterfly.png:stefonarch cloud.png:
             drop.png:stefonarch flowers.png:stefonarch fog.jpg:stefonarch
             this-is-not-windows.jpg:stefonarch)

package_of() {
    case $1 in
        plasma|plasma-workspace-wallpapers) echo plasma-workspace-wallpapers ;;
        lomiri16|lomiri-wallpapers-16.04) echo lomiri-wallpapers-16.04 ;;
        lomiri20|lomiri-wallpapers-20.04) echo lomiri-wallpapers-20.04 ;;
        lxqt|lxqt-themes) echo lxqt-themes ;;
        *) return 1 ;;
    esac
}
key_of() {
    case $1 in
        plasma-workspace-wallpapers) echo plasma ;; lomiri-wallpapers-16.04) echo lomiri16 ;;
        lomiri-wallpapers-20.04) echo lomiri20 ;; lxqt-themes) echo lxqt ;; *) echo "$1" ;;
    esac
}

usage() {
    echo "usage: $0 DEST [--packages KEY,KEY,...] [--all]   (KEYs: ${ALL_KEYS[*]}; default all)" >&2
    exit 2
}
[ $# -ge 1 ] || usage
DEST=$1; shift
ALL=0
KEYS=("${ALL_KEYS[@]}")
while [ $# -gt 0 ]; do
    case $1 in
        --all) ALL=1 ;;
        --packages) [ $# -ge 2 ] || usage; IFS=, read -r -a KEYS <<< "$2"; shift ;;
        --packages=*) IFS=, read -r -a KEYS <<< "${1#--packages=}" ;;
        *) usage ;;
    esac
    shift
done
[ ${#KEYS[@]} -gt 0 ] || usage
for k in "${KEYS[@]}"; do
    for x in "${EXCLUDED_PACKAGES[@]}"; do
        case $k in "$x"|mate|mypaint)
            echo "$k: never fetched, it is kept for independent evaluation (EXCLUDED_PACKAGES)" >&2; exit 2 ;;
        esac
    done
    package_of "$k" >/dev/null || { echo "unknown package key '$k' (known: ${ALL_KEYS[*]})" >&2; exit 2; }
done

command -v apt-get >/dev/null || { echo "apt-get not found (Debian/Ubuntu only)" >&2; exit 1; }
command -v dpkg-deb >/dev/null || { echo "dpkg-deb not found" >&2; exit 1; }
command -v file >/dev/null || { echo "file(1) not found (apt-get install file)" >&2; exit 1; }

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

packages=()
for k in "${KEYS[@]}"; do packages+=("$(package_of "$k")"); done
if ! (cd "$tmp" && apt-get "${apt_opts[@]}" download "${packages[@]}"); then
    echo "apt-get download failed; running apt-get update and retrying" >&2
    as_root apt-get update
    (cd "$tmp" && apt-get "${apt_opts[@]}" download "${packages[@]}")
fi

# JSON string literal of $1 (backslash, quote and control characters escaped)
json_str() {
    local s=$1
    s=${s//\\/\\\\}; s=${s//\"/\\\"}; s=${s//$'\t'/\\t}; s=${s//$'\n'/\\n}; s=${s//$'\r'/}
    printf '"%s"' "$s"
}

# FIELD (Copyright or License, first line) of the debian/copyright (DEP-5) stanza whose
# Files: names BASENAME (exactly or as .../BASENAME), else of the "Files: *" stanza
dep5_field() {
    local copyright=$1 base=$2 field=$3
    awk -v base="$base" -v field="$field" '
        BEGIN { RS = ""; FS = "\n" }
        {
            files = ""; val = ""; infiles = 0
            for (i = 1; i <= NF; i++) {
                if ($i ~ /^Files:/) { files = substr($i, 7); infiles = 1; continue }
                if (infiles && $i ~ /^[ \t]/) { files = files " " $i; continue }
                infiles = 0
                if (val == "" && index($i, field ":") == 1) {
                    val = substr($i, length(field) + 2); sub(/^[ \t]+/, "", val); sub(/[ \t]+$/, "", val)
                }
            }
            if (files == "") next
            n = split(files, f, /[ \t]+/)
            for (j = 1; j <= n; j++) {
                if (f[j] == base || (length(f[j]) > length(base) && substr(f[j], length(f[j]) - length(base)) == "/" base)) {
                    exact = val
                }
                if (f[j] == "*" && star == "") star = val
            }
        }
        END { print (exact != "" ? exact : star) }' "$copyright"
}

# the size WxH file(1) reports (the last NxM in its description: JPEG lists the density first)
image_size() {
    file -b "$1" | grep -oE '[0-9]+ ?x ?[0-9]+' | tail -1 | tr -d ' '
}

# pick one image of a plasma wallpaper: its largest landscape file that is not a symlink
# (in this package the smaller "variants" are symlinks to one real image; the file name
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

in_list() {
    local want=$1 p; shift
    for p in "$@"; do [ "${p%%:*}" = "$want" ] && return 0; done
    return 1
}

mkdir -p "$DEST"
: > "$DEST/COPYRIGHT.debian"
lines=()
count=0; pixels=0; header=()

# copy SRC to DEST/NAME with its metadata (one line in SOURCES.txt); $6: extra JSON members
add_image() {
    local src=$1 name=$2 package=$3 version=$4 path_in_pkg=$5 extra=$6 size w h
    cp "$src" "$DEST/$name"
    size=$(image_size "$src"); w=${size%x*}; h=${size#*x}
    [[ $w =~ ^[0-9]+$ && $h =~ ^[0-9]+$ ]] || { w=0; h=0; size="?"; }
    {
        printf '{"package": %s, "version": %s, "source": %s' \
            "$(json_str "$package")" "$(json_str "$version")" "$(json_str "$path_in_pkg")"
        [ -n "$extra" ] && printf ', %s' "$extra"
        printf '}\n'
    } > "$DEST/${name%.*}.metadata.json"
    pixels=$((pixels + w * h)); count=$((count + 1))
    lines+=("$name  $size  from $package $path_in_pkg")
}

for package in "${packages[@]}"; do
    key=$(key_of "$package")
    deb=$(ls "$tmp"/"${package}"_*.deb)
    version=$(dpkg-deb -f "$deb" Version)
    x="$tmp/x-$key"
    dpkg-deb -x "$deb" "$x"
    copyright="$x/usr/share/doc/$package/copyright"
    n0=$count
    case $key in
        plasma)
            root="$x/usr/share/wallpapers"
            licence_debian="$(dep5_field "$copyright" '*' License) (debian/copyright, the whole package)"
            for dir in "$root"/*/; do
                name=$(basename "$dir")
                [ "$ALL" = 1 ] || in_list "$name" "${PHOTOS_plasma[@]}" || continue
                src=$(pick_variant "$dir/contents/images")
                [ -n "$src" ] || { echo "skip $name: no landscape image" >&2; continue; }
                extra="\"licence_debian\": $(json_str "$licence_debian")"
                if [ -f "$dir/metadata.json" ]; then extra="$extra, \"kde\": $(cat "$dir/metadata.json")"; fi
                add_image "$src" "$name.${src##*.}" "$package" "$version" \
                    "/usr/share/wallpapers/$name/contents/images/$(basename "$src")" "$extra"
            done
            ;;
        lomiri16|lomiri20|lxqt)
            case $key in
                lomiri16) rel=usr/share/backgrounds; list=("${PHOTOS_lomiri16[@]}") ;;
                lomiri20) rel=usr/share/backgrounds; list=("${PHOTOS_lomiri20[@]}") ;;
                lxqt) rel=usr/share/lxqt/wallpapers; list=("${PHOTOS_lxqt[@]}") ;;
            esac
            for src in "$x/$rel"/*; do
                [ -f "$src" ] && [ ! -L "$src" ] || continue
                base=$(basename "$src")
                case ${base,,} in *.jpg|*.jpeg|*.png|*.webp) ;; *) continue ;; esac
                author=""
                for entry in "${list[@]}"; do
                    if [ "${entry%%:*}" = "$base" ]; then
                        [[ $entry == *:* ]] && author=${entry#*:}
                    fi
                done
                [ "$ALL" = 1 ] || in_list "$base" "${list[@]}" || continue
                cline=$(dep5_field "$copyright" "$base" Copyright)
                licence=$(dep5_field "$copyright" "$base" License)
                if [ "$key" = lxqt ]; then
                    # the Debian file puts everything under "Files: *" (LGPL-2.1+); the
                    # wallpapers' own licence is upstream's wallpapers/License
                    licence="CC-BY-SA-3.0 (upstream wallpapers/License); debian/copyright: $licence"
                    cline="2022 LXQt Project Team (upstream wallpapers/License)"
                elif [ -z "$author" ]; then
                    # lomiri: the author is the stanza's Copyright line without the year
                    author=$(sed -E 's/[0-9]{4}(-[0-9]{4})?//g; s/^[ ,.]+//; s/[ ,.]+$//; s/^"(.*)"$/\1/' <<< "$cline")
                fi
                extra="\"licence\": $(json_str "$licence"), \"copyright\": $(json_str "$cline")"
                [ -n "$author" ] && extra="$extra, \"authors\": [$(json_str "$author")]"
                add_image "$src" "$key-$base" "$package" "$version" "/$rel/$base" "$extra"
            done
            ;;
    esac
    want=$([ "$ALL" = 1 ] && echo "images (all)" || echo "photograph(s)")
    if [ "$ALL" = 0 ]; then
        case $key in
            plasma) expect=${#PHOTOS_plasma[@]} ;; lomiri16) expect=${#PHOTOS_lomiri16[@]} ;;
            lomiri20) expect=${#PHOTOS_lomiri20[@]} ;; lxqt) expect=${#PHOTOS_lxqt[@]} ;;
        esac
        [ $((count - n0)) -eq "$expect" ] || \
            echo "warning: $package $version gave $((count - n0)) of the $expect listed photographs" >&2
    fi
    header+=("$package $version: $((count - n0)) $want ($(du -k "$deb" | cut -f1) KiB download)")
    {
        echo "==== $package $version: debian/copyright ===="
        cat "$copyright"
        if [ "$key" = lxqt ] && [ -f "$x/usr/share/lxqt/wallpapers/License" ]; then
            echo; echo "==== $package $version: /usr/share/lxqt/wallpapers/License (upstream) ===="
            cat "$x/usr/share/lxqt/wallpapers/License"
        fi
        echo
    } >> "$DEST/COPYRIGHT.debian"
done

mp=$(awk -v p="$pixels" 'BEGIN { printf "%.1f", p / 1e6 }')
{
    echo "Wallpapers from Debian packages (fetched $(date -u +%Y-%m-%d)) by scripts/fetch_wallpapers.sh;"
    echo "mode: $([ $ALL = 1 ] && echo all || echo photographs only)"
    printf '  %s\n' "${header[@]}"
    echo
    printf '%s\n' "${lines[@]}"
    echo "$count images, $mp megapixels in all"
} > "$DEST/SOURCES.txt"
echo "$DEST: $count images, $mp megapixels (${packages[*]})"
# the recipes read every image in DEST: say so when earlier runs left others there
others=0
for f in "$DEST"/*; do
    [ -f "$f" ] || continue
    case ${f,,} in *.jpg|*.jpeg|*.png|*.tif|*.tiff|*.bmp|*.webp) ;; *) continue ;; esac
    printf '%s\n' "${lines[@]}" | cut -d' ' -f1 | grep -qxF -- "$(basename "$f")" || others=$((others + 1))
done
[ "$others" -eq 0 ] || echo "warning: $DEST also holds $others image(s) not from this run (the recipes read them too)" >&2
