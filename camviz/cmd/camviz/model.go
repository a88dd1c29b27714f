package main

import (
	"os"

	"github.com/camviz/camviz/camviz/models"
)

// loadModel reads --model: a camviz model folder (models.Load) or an ONNX file
// (models.LoadONNX).
func loadModel(path string) (*models.Model, error) {
	if path == "" {
		return nil, usagef("--model is required: an ONNX file or a camviz model folder")
	}
	info, err := os.Stat(path)
	if err != nil {
		return nil, usagef("--model %s: no such file or folder", path)
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
