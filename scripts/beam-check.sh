#!/usr/bin/env bash
# The Beam pipeline (examples/beam, its own Go module) against the single-process
# `camviz evaluate` on a miniature WSOL benchmark in wsolevaluation's layout: both must
# write the same table.csv, byte for byte; prints both runs' wall and CPU times.
# Usage: scripts/beam-check.sh [images (300)] [methods (CAM,GradCAM)] [metrics (default)]
set -euo pipefail
export GOTOOLCHAIN=go1.27.3 GOEXPERIMENT=simd
cd "$(dirname "${BASH_SOURCE[0]}")/.."
n=${1:-300}
methods=${2:-CAM,GradCAM}
metrics=${3:-default}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/mkwsol" ./camviz/datasets/cmd/mkwsol
go build -o "$work/camviz" ./camviz/cmd/camviz
(cd examples/beam && go build -o "$work/beam" .)
"$work/mkwsol" -dataset OpenImages -test "$n" -train-fullsup 0 -out "$work/wsol"
args=(-model gapcnn -wsol-metadata "$work/wsol/metadata" -images "$work/wsol/images/OpenImages"
	-masks "$work/wsol/masks/OpenImages" -dataset OpenImages -split test -methods "$methods" -metrics "$metrics" -out)
TIMEFORMAT='%R %U %S' # wall, user CPU, system CPU (bash's time keyword)
{ time "$work/camviz" evaluate "${args[@]}" "$work/single" -quiet >/dev/null 2>"$work/single.log" || { cat "$work/single.log" >&2; exit 1; }; } 2>"$work/single.time"
{ time "$work/beam" "${args[@]}" "$work/beam-out" >"$work/beam.log" 2>&1 || { cat "$work/beam.log" >&2; exit 1; }; } 2>"$work/beam.time"
if ! cmp "$work/single/table.csv" "$work/beam-out/table.csv"; then
	echo "the Beam pipeline's table.csv differs from the evaluate command's:" >&2
	diff "$work/single/table.csv" "$work/beam-out/table.csv" >&2 || true
	exit 1
fi
read -r sw su ss <"$work/single.time"
read -r bw bu bs <"$work/beam.time"
awk -v n="$n" -v m="$methods" -v sw="$sw" -v su="$su" -v ss="$ss" -v bw="$bw" -v bu="$bu" -v bs="$bs" 'BEGIN {
	sc = su + ss; bc = bu + bs
	printf "same table.csv from both (%d images, methods %s, metrics %s)\n", n, m, "'"$metrics"'"
	printf "single process: %.1f s wall (%.2f images/s), %.1f s CPU (%.2f images per CPU-second)\n", sw, n/sw, sc, n/sc
	printf "Beam on Prism:  %.1f s wall (%.2f images/s), %.1f s CPU (%.2f images per CPU-second)\n", bw, n/bw, bc, n/bc }'
uptime
cat "$work/single/table.csv"
