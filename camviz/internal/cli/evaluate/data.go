package evaluate

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/camviz/camviz/camviz/datasets"
	"github.com/camviz/camviz/camviz/models"
)

// loadModel reads -model: a camviz model folder (a folder of that name in the working
// directory comes first), or the name of a model shipped with camviz (models.LoadShipped).
// It returns what was read: the folder, or "NAME (shipped with camviz)".
func loadModel(name string) (*models.Model, string, error) {
	if strings.HasSuffix(strings.ToLower(name), ".onnx") {
		m, err := models.LoadONNX(name)
		if err != nil {
			return nil, "", usagef("-model %s: %v", name, err)
		}
		return m, name, nil
	}
	if st, err := os.Stat(name); err == nil && st.IsDir() {
		m, err := models.Load(name)
		if err != nil {
			return nil, "", usagef("-model %s: %v", name, err)
		}
		return m, name, nil
	}
	m, err := models.LoadShipped(name)
	if err != nil {
		return nil, "", usagef("-model %s is neither a model folder nor a model shipped with camviz: %v", name, err)
	}
	return m, name + " (shipped with camviz)", nil
}

// defaultData picks the data set the model's classes come from.
func defaultData(m *models.Model) string {
	if slices.Equal(m.Spec.ClassNames, datasets.FashionMNISTClassNames) {
		return "fmnist-canvas"
	}
	return "synthetic"
}

// loadData returns n held-out examples at the model's input size and a line saying
// where they come from.
func loadData(data string, m *models.Model, n int) ([]datasets.Example, string, error) {
	size := m.Spec.InputSize[0]
	if m.Spec.InputSize[1] != size || m.Spec.InputSize[2] != 3 {
		return nil, "", usagef("the model takes %v images; the data sets are square RGB images", m.Spec.InputSize)
	}
	switch data {
	case "synthetic":
		cfg := datasets.DefaultSyntheticConfig()
		cfg.Size, cfg.NumClasses, cfg.Seed = size, m.Spec.NumClasses, 2
		cfg.MinScale = max(cfg.MinScale, 6/float64(size)) // the smallest object is 6 pixels
		cfg.MaxScale = max(cfg.MaxScale, cfg.MinScale)
		ex, err := datasets.Synthetic(cfg, n)
		if err != nil {
			return nil, "", usagef("-data synthetic for a %d-class model of %dx%d images: %v", m.Spec.NumClasses, size, size, err)
		}
		return ex, fmt.Sprintf("%d synthetic %dx%d images (seed 2)", n, size, size), nil
	case "fmnist-canvas":
		if m.Spec.NumClasses != 10 {
			return nil, "", usagef("-data fmnist-canvas has 10 classes, the model %d", m.Spec.NumClasses)
		}
		imgs, labels, where, err := loadFashion(n)
		if err != nil {
			return nil, "", err
		}
		cfg := datasets.DefaultCanvasConfig()
		cfg.Size, cfg.Seed = size, 2
		ex, err := datasets.FashionMNISTCanvas(cfg, imgs, labels)
		if err != nil {
			return nil, "", err
		}
		return ex, fmt.Sprintf("%d Fashion-MNIST test items (%s) on %dx%d canvases (seed 2)", len(ex), where, size, size), nil
	}
	return nil, "", usagef("-data %q: use synthetic or fmnist-canvas", data)
}

// loadFashion reads n t10k items from Debian's package (or $CAMVIZ_FASHION_MNIST), else
// from the 200 in testdata/fashion-mnist.
func loadFashion(n int) ([][]uint8, []uint8, string, error) {
	imgs, labels, err := datasets.LoadFashionMNIST("", "t10k", n)
	if err == nil {
		return imgs, labels, "t10k", nil
	}
	root, rerr := models.RepoDir()
	if rerr != nil {
		return nil, nil, "", err
	}
	dir := filepath.Join(root, "testdata", "fashion-mnist")
	imgs, labels, err2 := datasets.LoadFashionMNIST(dir, "t10k", n)
	if err2 != nil {
		return nil, nil, "", fmt.Errorf("%v; and %v", err, err2)
	}
	if len(imgs) < n {
		fmt.Fprintf(os.Stderr, "evaluate: using the %d Fashion-MNIST test images of testdata/fashion-mnist (install dataset-fashion-mnist for more)\n", len(imgs))
	}
	return imgs, labels, "t10k, testdata/fashion-mnist", nil
}
