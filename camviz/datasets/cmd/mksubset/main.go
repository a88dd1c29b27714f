// Command mksubset writes the first n examples of a Fashion-MNIST split as gzip IDX
// files, the small subset camviz ships for tests in testdata/fashion-mnist:
//
//	apt-get install dataset-fashion-mnist
//	go run ./camviz/datasets/cmd/mksubset -split t10k -n 200 -out testdata/fashion-mnist
//
// The output is byte-for-byte reproducible (gzip header without name or time).
package main

import (
	"bytes"
	"compress/gzip"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/camviz/camviz/camviz/datasets"
)

func main() {
	src := flag.String("src", "", "folder of the Fashion-MNIST IDX files (default: $"+
		datasets.FashionMNISTEnv+" or "+datasets.FashionMNISTDebianDir+")")
	split := flag.String("split", "t10k", `split to copy from: "train" or "t10k"`)
	n := flag.Int("n", 200, "number of examples to keep (the first n)")
	out := flag.String("out", "testdata/fashion-mnist", "output folder")
	flag.Parse()
	if err := run(*src, *split, *n, *out); err != nil {
		fmt.Fprintln(os.Stderr, "mksubset:", err)
		os.Exit(1)
	}
}

func run(src, split string, n int, out string) error {
	if n < 1 {
		return fmt.Errorf("-n %d: want at least 1", n)
	}
	images, labels, err := datasets.LoadFashionMNIST(src, split, n)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	side := datasets.FashionMNISTSide
	files := []struct {
		name string
		dims []int
		data []uint8
	}{
		{split + "-images-idx3-ubyte.gz", []int{len(images), side, side}, slices.Concat(images...)},
		{split + "-labels-idx1-ubyte.gz", []int{len(labels)}, labels},
	}
	for _, f := range files {
		var buf bytes.Buffer
		zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		if err != nil {
			return err
		}
		if err := datasets.WriteIDX(zw, f.dims, f.data); err != nil {
			return err
		}
		if err := zw.Close(); err != nil {
			return err
		}
		path := filepath.Join(out, f.name)
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			return err
		}
		fmt.Printf("wrote %s: dims %v, %d bytes\n", path, f.dims, buf.Len())
	}
	return nil
}
