package models

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
)

// TestLoadShippedEqualsFolder checks that every embedded model (LoadShipped, through
// LoadFS) holds exactly the weights that Load reads from the same files on disk, and that
// the names and specs are the three documented ones.
func TestLoadShippedEqualsFolder(t *testing.T) {
	if got, want := ShippedNames(), []string{"gapcnn", "gapcnn-fmnist", "resnet-fmnist"}; !slices.Equal(got, want) {
		t.Fatalf("ShippedNames() = %v, want %v", got, want)
	}
	for _, c := range []struct {
		name    string
		arch    string
		classes int
		size    int
	}{{"gapcnn", "gapcnn", 6, 64}, {"gapcnn-fmnist", "gapcnn", 10, 48}, {"resnet-fmnist", "resnet", 10, 48}} {
		embedded, err := LoadShipped(c.name)
		if err != nil {
			t.Fatalf("LoadShipped(%q): %v", c.name, err)
		}
		if s := embedded.Spec; s.Arch != c.arch || s.NumClasses != c.classes || s.InputSize != [3]int{c.size, c.size, 3} {
			t.Errorf("%s: spec %s, %d classes, input %v; want %s, %d, %d×%d×3", c.name, s.Arch, s.NumClasses, s.InputSize, c.arch, c.classes, c.size, c.size)
		}
		onDisk, err := Load(filepath.Join("shipped", c.name))
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for v := range onDisk.Store.IterVariables() {
			if !isModelVariable(v.Path()) {
				continue
			}
			n++
			e := embedded.Store.GetVariable(v.Path())
			if e == nil {
				t.Errorf("%s: variable %s is on disk but not in the embedded model", c.name, v.Path())
				continue
			}
			want := tensors.MustCopyFlatData[float32](mustValue(t)(v.Value()))
			got := tensors.MustCopyFlatData[float32](mustValue(t)(e.Value()))
			if !slices.Equal(got, want) {
				t.Errorf("%s: variable %s differs between the embedded and the on-disk model", c.name, v.Path())
			}
		}
		if n < 6 {
			t.Errorf("%s: only %d model variables compared", c.name, n)
		}
	}
}

func mustValue(t *testing.T) func(*tensors.Tensor, error) *tensors.Tensor {
	return func(v *tensors.Tensor, err error) *tensors.Tensor {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// TestLoadShippedErrors checks that an unknown name lists the shipped models and that
// LoadFS names what is missing.
func TestLoadShippedErrors(t *testing.T) {
	_, err := LoadShipped("gapcnn2")
	if err == nil || !strings.Contains(err.Error(), `"gapcnn2"`) || !strings.Contains(err.Error(), "gapcnn, gapcnn-fmnist, resnet-fmnist") {
		t.Errorf("LoadShipped(gapcnn2): err = %v, want the name and the list of shipped models", err)
	}
	dir := t.TempDir()
	if _, err := LoadFS(os.DirFS(dir)); err == nil || !strings.Contains(err.Error(), "model.json") {
		t.Errorf("LoadFS(empty folder): err = %v, want one naming model.json", err)
	}
	spec, err := os.ReadFile(filepath.Join("shipped", "gapcnn", "model.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "model.json"), spec, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadFS(os.DirFS(dir)); err == nil || !strings.Contains(err.Error(), "no checkpoint") {
		t.Errorf("LoadFS(model.json only): err = %v, want one saying there is no checkpoint", err)
	}
}
