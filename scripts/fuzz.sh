#!/usr/bin/env bash
# Runs every Go fuzz target of camviz for a short while (FUZZTIME, default 30s each):
# the .npy reader, picture decoding + resizing, the ONNX reading and legalization
# (fast, many inputs) and the whole ONNX loader (slow: it builds the graph), the command's
# argument handling and the metric accumulators. A crash makes Go write the input to
# the package's testdata/fuzz/<Target>/ and this script fail: commit that file (it is
# then a regression test that every plain `go test` runs) and fix the crash. A failure
# whose input passes when run alone (Go reports "fuzzing process hung or terminated
# unexpectedly" when a worker stalls or is killed, e.g. for memory) is re-run at once and,
# if it does not reproduce, reported as a warning with the input kept, not as a failure:
# only reproducible failures stop the run. The seed
# corpora (the f.Add calls and the committed testdata/fuzz files) also run in every
# plain `go test`. Called from scripts/test.sh; run alone with
#   FUZZTIME=60s bash scripts/fuzz.sh
set -euo pipefail
export GOTOOLCHAIN=go1.27.3 GOEXPERIMENT=simd
cd "$(dirname "${BASH_SOURCE[0]}")/.."
fuzztime=${FUZZTIME:-30s}
log=$(mktemp)
trap 'rm -f "$log"' EXIT
warnings=()
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
		input=$(sed -n "s|.*Failing input written to testdata/fuzz/${name}/\([0-9a-f]*\).*|\1|p" "$log" | tail -n 1)
		if [[ -n "$input" ]] && go test "$pkg" -count=1 -run "^${name}/${input}\$" >/dev/null 2>&1; then
			echo "fuzz: WARNING: $name in $pkg stopped on input $input, which passes when run alone (a stalled or killed worker);" \
				"it is kept in $pkg/testdata/fuzz/$name/$input for a look" >&2
			warnings+=("$name: $input")
			continue
		fi
		echo "fuzz: $name in $pkg found a failure; the input is in $pkg/testdata/fuzz/$name/ (commit it as a regression test and fix the crash)" >&2
		exit 1
	fi
	grep -E "^fuzz: elapsed: .*execs" "$log" | tail -n 1 || true
done
if ((${#warnings[@]} > 0)); then
	echo "fuzz: no reproducible failure in ${#targets[@]} targets; ${#warnings[@]} stopped on inputs that pass alone: ${warnings[*]}"
else
	echo "fuzz: no failures in ${#targets[@]} targets"
fi
