#!/usr/bin/env bash
# camviz's full check, the README's test command and what CI runs: gofmt, go vet,
# go test, go test -race on the packages with concurrency (about 4 min on 2 busy cores),
# every fuzz target for FUZZTIME (default 30s each, scripts/fuzz.sh), the Beam
# pipeline's module (examples/beam) and its equality with camviz evaluate, then
# (re)registers the camviz Jupyter kernel for this checkout and
# executes every notebook headlessly with it, and a self-check that the notebook
# runner rejects a broken one. Needs Debian's Jupyter packages (.ci/run installs
# them; the kernel installer names the apt command when they are missing).
set -euo pipefail
export GOTOOLCHAIN=go1.27.3 GOEXPERIMENT=simd
cd "$(dirname "${BASH_SOURCE[0]}")/.."

step() { printf '\n== %s\n' "$*"; }

step "gofmt (Go $(go env GOVERSION))"
unformatted=$("$(go env GOROOT)/bin/gofmt" -l .)
if [[ -n "$unformatted" ]]; then
	echo "gofmt: these files are not formatted (run gofmt -w on them):" >&2
	echo "$unformatted" >&2
	exit 1
fi
echo "all Go files formatted"

step "go vet ./..."
go vet ./...

step "go test ./..."
# -timeout 30m: camviz/cmd/camviz go-installs the command with -trimpath (minutes on a cold
# build cache), and camviz/models generates the architecture sweep on first use (minutes on
# 2 cores; cached in $CAMVIZ_CACHE or ~/.cache/camviz afterwards).
go test -timeout 30m ./...

# The race detector on the packages that run work concurrently. -d=checkptr=0: -race
# turns on the checkptr instrumentation, which aborts inside compute's AVX-512 matrix
# product (pointer arithmetic past a packed panel, upstream; see docs/performance.md's
# upstream section); this turns off only that check, not the race detector.
step "go test -race (camviz, nb, evaluate, fastconv, tailslack)"
go test -race -gcflags=all=-d=checkptr=0 ./camviz ./camviz/nb ./camviz/evaluate ./camviz/fastconv ./camviz/tailslack

step "fuzzing: scripts/fuzz.sh (each target ${FUZZTIME:-30s})"
bash scripts/fuzz.sh

# examples/beam requires camviz through a replace directive: when camviz gains a
# dependency, its go.mod/go.sum need `cd examples/beam && go mod tidy`; tidy -diff says so.
step "examples/beam (its own Go module, Apache Beam's Go SDK): go mod tidy -diff, go vet, go test"
(cd examples/beam && go mod tidy -diff && go vet ./... && go test ./...)

step "Beam pipeline vs camviz evaluate on 300 miniature WSOL images: the same table.csv"
bash scripts/beam-check.sh 300 CAM,GradCAM

step "camviz Jupyter kernel for this checkout: go run ./kernels/install"
go run ./kernels/install

step "notebooks"
shopt -s nullglob
notebooks=(notebooks/*.ipynb)
if ((${#notebooks[@]} == 0)); then
	echo "no notebooks in notebooks/: expected at least notebooks/00-smoke.ipynb" >&2
	exit 1
fi
go run ./kernels/run "${notebooks[@]}"

step "notebook runner self-check: a notebook with a compile error must fail"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if go run ./kernels/run kernels/run/testdata/compile-error.ipynb >"$log" 2>&1; then
	cat "$log"
	echo "kernels/run passed kernels/run/testdata/compile-error.ipynb, which does not compile" >&2
	exit 1
fi
if ! grep -q "undefined: undefinedThing" "$log" || ! grep -q "^notebooks: 0 passed, 1 failed" "$log"; then
	cat "$log"
	echo "kernels/run failed the broken notebook without naming its compile error" >&2
	exit 1
fi
echo "kernels/run rejected it, naming the compile error"
