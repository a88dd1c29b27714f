// Package shipped holds the small trained models that ship with camviz, embedded in the
// binary with go:embed, so that models.LoadShipped and "camviz explain --model gapcnn"
// work from any directory, after go install, in a -trimpath build or in a notebook outside
// the checkout. It holds files only (it imports nothing of camviz); models.LoadShipped
// turns them into models.
//
// Each model is a camviz model folder (model.json, the architecture, and one GoMLX
// checkpoint, the weights), trained by camviz's own commands on camviz's own data:
//
//	gapcnn         GAP-CNN 16-32-64, 64×64, 6 classes, synthetic shapes (91.5% held-out)
//	gapcnn-fmnist  GAP-CNN 16-32-64, 48×48, 10 classes, Fashion-MNIST canvases (55% held-out)
//	resnet-fmnist  ResNet 16-32-64, 48×48, 10 classes, Fashion-MNIST canvases (58% held-out)
//
// The README's "Shipped models" table gives the command that made each one.
package shipped

import (
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strings"
)

//go:embed gapcnn/model.json gapcnn/checkpoint-*
//go:embed gapcnn-fmnist/model.json gapcnn-fmnist/checkpoint-*
//go:embed resnet-fmnist/model.json resnet-fmnist/checkpoint-*
var files embed.FS

// Names returns the names of the shipped models, sorted.
func Names() []string {
	entries, err := fs.ReadDir(files, ".")
	if err != nil { // cannot happen: the embedded root is always readable
		return nil
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names
}

// FS returns the files of the shipped model name (model.json and its checkpoint), or an
// error that lists the shipped models.
func FS(name string) (fs.FS, error) {
	for _, n := range Names() {
		if n == name {
			return fs.Sub(files, name)
		}
	}
	return nil, fmt.Errorf("no model %q is shipped with camviz; the shipped models are %s", name, strings.Join(Names(), ", "))
}
