#!/usr/bin/env bash
# Runs every Go fuzz target of camviz for a short while (FUZZTIME, default 30s each):
# the .npy reader, picture decoding + resizing, the ONNX reading and legalization
# (fast, many inputs) and the whole ONNX loader (slow: it builds the graph), the command's
# argument handling and the metric accumulators. A crash makes Go write the input to
# the package's testdata/fuzz/<Target>/ and this script fail: commit that file (it is
# then a regression test that every plain `go test` runs) and fix the crash. The seed
# corpora (the f.Add calls and the committed testdata/fuzz files) also run in every
# plain `go test`. Called from scripts/test.sh; run alone with
#   FUZZTIME=60s bash scripts/fuzz.sh
set -euo pipefail
export GOTOOLCHAIN=go1.27.3 GOEXPERIMENT=simd
cd "$(dirname "${BASH_SOURCE[0]}")/.."
fuzztime=${FUZZTIME:-30s}
log=$(mktemp)
trap 'rm -f "$log"' EXIT
targets=(
	"./camviz/npy FuzzRead"
	"./camviz/datasets FuzzDecodeImage"
	"./camviz/models FuzzParseONNXGraph"
	"./camviz/models FuzzLoadONNX"
	"./camviz/cmd/camviz FuzzArgs"
	"./camviz/evaluate FuzzAccumulator"
)
for t in "${targets[@]}"; do
	read -r pkg name <<<"$t"
	printf 'fuzz %s %s for %s\n' "$pkg" "$name" "$fuzztime"
	# -parallel 2: the CI machine has 2 cores; the fuzzing workers share them.
	if ! go test "$pkg" -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" -parallel 2 >"$log" 2>&1; then
		tail -n 40 "$log" >&2
		echo "fuzz: $name in $pkg found a failure; the input is in $pkg/testdata/fuzz/$name/ (commit it as a regression test and fix the crash)" >&2
		exit 1
	fi
	grep -E "^fuzz: elapsed: .*execs" "$log" | tail -n 1 || true
done
echo "fuzz: no failures in ${#targets[@]} targets"
