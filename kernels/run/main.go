// Command run executes notebooks headlessly and checks what they produced:
//
//	go run ./kernels/run [-inplace] [-timeout 5m] [-kernel name] [-keep dir] notebooks/*.ipynb
//
// Each notebook is executed from a fresh kernel with `jupyter nbconvert --to
// notebook --execute --allow-errors` into a scratch folder (with a timeout per
// cell), then the executed copy is checked: every non-empty code cell ran, no
// output is an error (nor a GoNB HTML error report), no stderr line mentions a
// panic or an error, every image/png output (and PNG embedded in HTML as a
// data: URL) decodes, and there are at least as many PNGs as the notebook's
// metadata.camviz.min_png_outputs asks for (so pictures that silently fail to
// show are caught). Executions record no timing metadata, so a notebook saved
// twice diffs cleanly. One summary line is printed per notebook, with the
// problems found under it, and a closing line "notebooks: N passed, N failed".
// The exit status is 1 if any notebook failed.
//
// With -inplace a notebook that passes is overwritten with its executed copy, so
// saved notebooks carry their outputs; a failing one is left as it was.
// Notebooks that use the camviz kernel need `go run ./kernels/install` first;
// the runner checks that the installed kernel belongs to this checkout.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/camviz/camviz/kernels/internal/kernelspec"
)

func main() {
	inplace := flag.Bool("inplace", false, "overwrite each notebook that passes with its executed copy (outputs saved)")
	timeout := flag.Duration("timeout", 5*time.Minute, "time limit for each cell")
	kernel := flag.String("kernel", "", "kernel to run every notebook with (default: each notebook's metadata.kernelspec.name)")
	keep := flag.String("keep", "", "folder to keep the executed copies in (default: a temporary folder, removed)")
	flag.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: go run ./kernels/run [flags] notebook.ipynb...\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() == 0 {
		flag.Usage()
		os.Exit(2)
	}
	if *timeout < time.Second {
		fmt.Fprintf(os.Stderr, "kernels/run: -timeout %v is below one second\n", *timeout)
		os.Exit(2)
	}
	os.Exit(runAll(flag.Args(), options{inplace: *inplace, timeout: *timeout, kernel: *kernel, keep: *keep}))
}

type options struct {
	inplace bool
	timeout time.Duration
	kernel  string
	keep    string
}

// runAll runs every notebook and returns the exit status.
func runAll(paths []string, opt options) int {
	jupyter, err := kernelspec.Jupyter()
	if err != nil {
		fmt.Fprintf(os.Stderr, "kernels/run: %v\n", err)
		return 1
	}
	outDir := opt.keep
	if outDir == "" {
		if outDir, err = os.MkdirTemp("", "camviz-notebooks-"); err != nil {
			fmt.Fprintf(os.Stderr, "kernels/run: %v\n", err)
			return 1
		}
		defer os.RemoveAll(outDir)
	} else if err := os.MkdirAll(outDir, 0o755); err != nil {
		fmt.Fprintf(os.Stderr, "kernels/run: %v\n", err)
		return 1
	}
	r := &runner{jupyter: jupyter, opt: opt, outDir: outDir}
	passed, failed := 0, 0
	for i, p := range paths {
		start := time.Now()
		out := filepath.Join(outDir, fmt.Sprintf("%02d-%s", i, filepath.Base(p)))
		res, err := r.run(p, out)
		secs := time.Since(start).Seconds()
		switch {
		case err != nil:
			failed++
			fmt.Printf("FAIL %s (%.1fs): %v\n", p, secs, err)
		case len(res.Problems) > 0:
			failed++
			fmt.Printf("FAIL %s (%.1fs): %d code cells, %d outputs, %d PNGs, %d problems:\n", p, secs, res.CodeCells, res.Outputs, res.PNGs, len(res.Problems))
			for _, pr := range res.Problems {
				fmt.Println("  " + pr)
			}
		default:
			passed++
			saved := ""
			if opt.inplace {
				saved = ", outputs saved"
			}
			fmt.Printf("PASS %s (%.1fs): %d code cells, %d outputs, %d PNGs (all decode)%s\n", p, secs, res.CodeCells, res.Outputs, res.PNGs, saved)
		}
	}
	fmt.Printf("notebooks: %d passed, %d failed\n", passed, failed)
	if failed > 0 {
		return 1
	}
	return 0
}
