package models

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"github.com/camviz/camviz/camviz/models/shipped"
)

// RepoDir returns the root of the camviz checkout this package was built from (the
// folder holding go.mod, testdata/ and notebooks/), so that examples, notebooks and
// tests find the checkout's data files whatever their working directory (shipped
// models need no checkout: see LoadShipped). It looks beside this
// source file first, then upwards from the working directory.
func RepoDir() (string, error) {
	var tried []string
	if _, file, _, ok := runtime.Caller(0); ok {
		dir := filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
		if isRepo(dir) {
			return dir, nil
		}
		tried = append(tried, dir)
	}
	if wd, err := os.Getwd(); err == nil {
		for dir := wd; ; dir = filepath.Dir(dir) {
			if isRepo(dir) {
				return dir, nil
			}
			tried = append(tried, dir)
			if filepath.Dir(dir) == dir {
				break
			}
		}
	}
	return "", fmt.Errorf("models: cannot find the camviz checkout (a folder with go.mod and testdata/); tried %v", tried)
}

func isRepo(dir string) bool {
	for _, f := range []string{"go.mod", "testdata"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			return false
		}
	}
	return true
}

// LoadShipped loads a model shipped with camviz, e.g. LoadShipped("gapcnn") for the
// GAP-CNN trained on the synthetic set. The models are embedded in the binary (package
// camviz/models/shipped), so this works from any directory; ShippedNames lists them.
func LoadShipped(name string) (*Model, error) {
	fsys, err := shipped.FS(name)
	if err != nil {
		return nil, fmt.Errorf("models: %w", err)
	}
	m, err := LoadFS(fsys)
	if err != nil {
		return nil, fmt.Errorf("models: shipped model %s: %w", name, err)
	}
	return m, nil
}

// ShippedNames returns the names LoadShipped accepts, sorted.
func ShippedNames() []string { return shipped.Names() }
