package evaluate

import (
	"fmt"
	"path/filepath"

	"github.com/camviz/camviz/camviz/datasets"
	"github.com/camviz/camviz/camviz/evaluate"
	"github.com/camviz/camviz/camviz/models"
)

// wsolOptions are the flags that read a WSOL benchmark in wsolevaluation's layout.
type wsolOptions struct {
	metadata, images, masks, dataset, split string
}

// active reports whether -wsol-metadata was given.
func (w wsolOptions) active() bool { return w.metadata != "" }

// check validates the WSOL flags.
func (w wsolOptions) check() error {
	if !w.active() {
		if w.images != "" || w.masks != "" || w.dataset != "" {
			return usagef("-images, -masks and -dataset go with -wsol-metadata")
		}
		return nil
	}
	if w.images == "" || w.dataset == "" {
		return usagef("-wsol-metadata needs -images (the image root) and -dataset (CUB, ILSVRC or OpenImages)")
	}
	if _, err := datasets.WSOLSplitFolder(w.split); err != nil {
		return usageError{err}
	}
	return nil
}

// loadWSOL reads the first n images (all when n ≤ 0) of the split at the model's input
// size, preprocessed as the model states (evaluate.Preprocess), and a line saying where
// they come from.
func loadWSOL(w wsolOptions, m *models.Model, n int) ([]datasets.Example, string, error) {
	size := m.Spec.InputSize[0]
	if m.Spec.InputSize[1] != size || m.Spec.InputSize[2] != 3 {
		return nil, "", usagef("the model takes %v images; WSOL images are loaded square and RGB", m.Spec.InputSize)
	}
	md, err := datasets.ReadWSOLMetadata(w.metadata, w.dataset, w.split)
	if err != nil {
		return nil, "", err
	}
	if n <= 0 || n > len(md.Images) {
		n = len(md.Images)
	}
	masks := w.masks
	if masks == "" {
		masks = w.images
	}
	for i := range n {
		if l := md.Images[i].Label; l >= m.Spec.NumClasses {
			return nil, "", fmt.Errorf("%s: image %q has class %d but the model has %d classes; evaluate with a model trained on %s's classes",
				filepath.Join(md.Dir, "class_labels.txt"), md.Images[i].ID, l, m.Spec.NumClasses, w.dataset)
		}
	}
	ex, err := md.Examples(0, n, datasets.WSOLLoad{Images: w.images, Masks: masks, Size: size})
	if err != nil {
		return nil, "", err
	}
	source := fmt.Sprintf("%d %s %s images (%s) at %dx%d", n, w.dataset, w.split, md.Dir, size, size)
	plan, changed, err := evaluate.Preprocess(m, ex)
	if err != nil {
		return nil, "", err
	}
	if changed {
		source += fmt.Sprintf(", preprocessed as the model states (BGR %v, range %s, mean %v, std %v)", plan.BGR, plan.Range, plan.Mean, plan.Std)
	}
	return ex, source, nil
}
