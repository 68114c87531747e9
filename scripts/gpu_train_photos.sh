#!/usr/bin/env bash
# One resumable piece of photos-rgb training on a GPU with the fast loop (issue 13).
#
#   OUT=/where/results/go scripts/gpu_train_photos.sh
#
# Writes under $OUT, each file under 16 MiB: 5 files (8 with NET=unet-te, whose resume state
# takes 4 shards), and prints a summary (command, data, exit, result, last log row):
#   photos-rgb.json, photos-rgb.safetensors     the checkpoint (EMA weights, fp32) and its card
#   photos-rgb.train.json, *.train.safetensors  the resume state (weights, EMA, Adam moments, step)
#   photos-rgb.csv                              the training log (every 10 steps)
#
# Settings (environment):
#   MINUTES      training time budget (default 7.5: with start-up, data loading, the final
#                bound and saving, the command ends inside 9 minutes on an H200)
#   RESUME_FROM  a folder holding a previous piece's photos-rgb.* files: continue that run
#                (its state is copied into $OUT first, so $OUT always holds the newest piece)
#   INIT         without RESUME_FROM: start from this checkpoint's weights (default: the newest
#                weights of this network in the repository: the shipped photos-rgb for NET=default,
#                checkpoints/photos-rgb-v2 for NET=unet-te, from scratch while that
#                does not exist; INIT=none trains from scratch)
#   BATCH        crops of 64 x 64 per step (default 128)        LR  learning rate (default: the preset's)
#   TOTAL_STEPS  length of the learning-rate decay, the same for every piece (default 100000)
#   SEED         the run's seed (default 0). A warm start (INIT) with the same seed repeats the same
#                draws exactly: two CPU runs from the same weights are one run twice, so continue a
#                piece with RESUME_FROM, or give a new warm start a new SEED
#   NET          default (the shipped 0.55 M U-Net) or unet-te (3.6 M, time embedding)
#   DEVICE       default cuda (cpu for the background run: bf16 + channels_last where the CPU
#                has native bf16; run it under nice -n 19)    EVAL  0 skips the final bound
#   WALLPAPERS   the wallpaper photographs (default: $DPM_STUDIO_WALLPAPERS, else
#                .gpu_data/wallpapers in the repository, which a device run must carry);
#                missing, the script stops (exit 2) unless ALLOW_NO_WALLPAPERS=1
set -euo pipefail
: "${OUT:?set OUT to the folder for the results}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PY="${PYTHON:-python3}"
MINUTES="${MINUTES:-7.5}"
BATCH="${BATCH:-128}"
TOTAL_STEPS="${TOTAL_STEPS:-100000}"
NET="${NET:-default}"
DEVICE="${DEVICE:-cuda}"
EVAL="${EVAL:-1}"
if [ -z "${INIT:-}" ]; then
    # The warm start is the newest weights of this network kept in the repository: a
    # different network's weights cannot be loaded (--init stops with "its network is not
    # this preset's"), so unet-te starts from its own candidate, or from scratch.
    case "$NET" in
        default) INIT=photos-rgb ;;
        unet-te) if [ -f "$ROOT/checkpoints/photos-rgb-v2.json" ]; then
                     INIT="$ROOT/checkpoints/photos-rgb-v2.json"
                 else
                     INIT=none
                 fi ;;
        *) INIT=none ;;
    esac
fi
WALLPAPERS="${WALLPAPERS:-${DPM_STUDIO_WALLPAPERS:-$ROOT/.gpu_data/wallpapers}}"

mkdir -p "$OUT"
ckpt="$OUT/photos-rgb"
args=(train photos-rgb -o "$ckpt" --name photos-rgb --minutes "$MINUTES" --batch "$BATCH"
      --total-steps "$TOTAL_STEPS" --net "$NET" --device "$DEVICE" --loop fast --save-every 2
      --log "$ckpt.csv")
[ -n "${LR:-}" ] && args+=(--lr "$LR")
[ -n "${SEED:-}" ] && args+=(--seed "$SEED")
[ "$EVAL" = 0 ] && args+=(--no-eval)

if [ -n "${RESUME_FROM:-}" ]; then
    if [ "$(cd "$RESUME_FROM" && pwd)" != "$(cd "$OUT" && pwd)" ]; then
        cp "$RESUME_FROM"/photos-rgb.json "$RESUME_FROM"/photos-rgb.safetensors "$RESUME_FROM"/photos-rgb.train.json \
           "$RESUME_FROM"/*.train.safetensors "$OUT"/
        [ -f "$RESUME_FROM/photos-rgb.csv" ] && cp "$RESUME_FROM/photos-rgb.csv" "$OUT"/
    fi
    args+=(--resume)
    start="resumed from $RESUME_FROM"
elif [ "$INIT" != none ]; then
    args+=(--init "$INIT")
    start="warm start from $INIT"
else
    start="from scratch"
fi

if [ -d "$WALLPAPERS" ]; then
    export DPM_STUDIO_WALLPAPERS="$WALLPAPERS"
    data="wallpapers in $WALLPAPERS ($(ls "$WALLPAPERS" | grep -ciE '\.(jpe?g|png|webp|tiff?|bmp)$' || true) images) + bundled photos"
elif [ "${ALLOW_NO_WALLPAPERS:-0}" = 1 ]; then
    unset DPM_STUDIO_WALLPAPERS
    data="bundled photos only (no wallpapers at $WALLPAPERS)"
else
    echo "gpu_train_photos: no wallpaper photographs at $WALLPAPERS: the shipped photos-rgb was trained on them" \
         "(its data scaling depends on them); copy /work/data/wallpapers there and carry it, or set" \
         "ALLOW_NO_WALLPAPERS=1" >&2
    exit 2
fi

echo "gpu_train_photos: $start; $data; ${MINUTES} min, batch $BATCH, net $NET, device $DEVICE" >&2
t0=$(date +%s)
set +e
PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}" "$PY" -m dpm_studio "${args[@]}" > "$OUT/result.json.tmp"
rc=$?
set -e
result="$(tail -n 1 "$OUT/result.json.tmp" 2>/dev/null || true)"
rm -f "$OUT/result.json.tmp"
{
    echo "gpu_train_photos summary"
    echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
    if [ "$DEVICE" = cpu ]; then  # no second torch import (1.4 s CPU) to name a GPU the run did not use
        echo "gpu: none (DEVICE=cpu)"
    else
        echo "gpu: $("$PY" -c 'import torch; print(torch.cuda.get_device_name() if torch.cuda.is_available() else "none")' 2>/dev/null)"
    fi
    echo "start: $start"
    echo "data: $data"
    echo "command: dpm-studio ${args[*]}"
    echo "exit: $rc after $(( $(date +%s) - t0 )) s"
    echo "result: $result"
    [ -f "$ckpt.csv" ] && echo "last log row: $(tail -n 1 "$ckpt.csv")"
}
exit "$rc"
