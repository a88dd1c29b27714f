package main

import (
	"os"
	"slices"
	"strings"

	"github.com/camviz/camviz/camviz/models"
)

// loadModel reads --model: a camviz model folder (models.Load), an ONNX file
// (models.LoadONNXOptions, whose class scores are the node output score; "" for the
// loader's default: the logits output, or the input of a final Softmax or Sigmoid) or,
// when no such file exists, the name of a model shipped with camviz (models.LoadShipped;
// camviz models lists them).
func loadModel(path, score string) (*models.Model, error) {
	if path == "" {
		return nil, usagef("--model is required: an ONNX file, a camviz model folder or a shipped model (%s)", strings.Join(models.ShippedNames(), ", "))
	}
	info, err := os.Stat(path)
	isZoo := (err != nil && slices.Contains(models.ShippedNames(), path)) || (err == nil && info.IsDir())
	if isZoo && score != "" {
		return nil, usagef("--score %s: a camviz model scores its logits; --score names a node output of an ONNX model", score)
	}
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
		m, err = models.LoadONNXOptions(path, models.ONNXOptions{Score: score})
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
