package main

import (
	"os"
	"slices"
	"strings"

	"github.com/camviz/camviz/camviz/models"
)

// loadModel reads --model: a camviz model folder (models.Load), an ONNX file
// (models.LoadONNX) or, when no such file exists, the name of a model shipped with camviz
// (models.LoadShipped; camviz models lists them).
func loadModel(path string) (*models.Model, error) {
	if path == "" {
		return nil, usagef("--model is required: an ONNX file, a camviz model folder or a shipped model (%s)", strings.Join(models.ShippedNames(), ", "))
	}
	info, err := os.Stat(path)
	if err != nil && slices.Contains(models.ShippedNames(), path) {
		return models.LoadShipped(path)
	}
	if err != nil {
		return nil, usagef("--model %s: no such file or folder, nor a shipped model (%s)", path, strings.Join(models.ShippedNames(), ", "))
	}
	var m *models.Model
	if info.IsDir() {
		m, err = models.Load(path)
	} else {
		m, err = models.LoadONNX(path)
	}
	if err != nil {
		return nil, usagef("--model %s: %v", path, err)
	}
	return m, nil
}

// layoutName names the model's image layout.
func layoutName(m *models.Model) string {
	if m.ChannelsFirst {
		return "NCHW"
	}
	return "NHWC"
}
