package main

import (
	"os"

	"github.com/camviz/camviz/camviz/models"
)

// loadModel reads --model: a camviz model folder (models.Load) or an ONNX file
// (models.LoadONNXOptions), whose class scores are the node output score ("" for the
// loader's default: the logits output, or the input of a final Softmax or Sigmoid).
func loadModel(path, score string) (*models.Model, error) {
	if path == "" {
		return nil, usagef("--model is required: an ONNX file or a camviz model folder")
	}
	info, err := os.Stat(path)
	if err != nil {
		return nil, usagef("--model %s: no such file or folder", path)
	}
	var m *models.Model
	if info.IsDir() {
		if score != "" {
			return nil, usagef("--score %s: a camviz model folder scores its logits; --score names a node output of an ONNX model", score)
		}
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
