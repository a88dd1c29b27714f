package models

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/camviz/camviz/camviz/preprocess"
	"github.com/gomlx/compute-onnx/support/protos"
	"google.golang.org/protobuf/proto"
)

func TestPictureInput(t *testing.T) {
	// model_a: an ONNX input fixed to 32×32 stays 32×32 under the ImageNet preset.
	m := loadModelA(t)
	if s := m.PictureInput(); !s.Fixed || s.Height != 32 || s.Width != 32 || s.Channels != 3 {
		t.Errorf("model_a: %+v", s)
	}
	p, err := m.Preprocessing(preprocess.Request{Preset: preprocess.PresetImageNet})
	if err != nil || p.Height != 32 || p.Why.Size != "fixed by the model" || !slices.Equal(p.Mean, preprocess.ImageNetMean) {
		t.Errorf("model_a, imagenet preset: %+v, %v", p, err)
	}

	// A zoo model states the size it was made for; the preset's 224 wins over it.
	z, err := LoadShipped("gapcnn")
	if err != nil {
		t.Fatal(err)
	}
	if s := z.PictureInput(); s.Fixed || s.Height != 64 {
		t.Errorf("gapcnn: %+v", s)
	}
	if p, err := z.Preprocessing(preprocess.Request{}); err != nil || p.Height != 64 || p.Why.Size != "the model's input size" {
		t.Errorf("gapcnn: %+v, %v", p, err)
	}
	if p, err := z.Preprocessing(preprocess.Request{Preset: preprocess.PresetImageNet}); err != nil || p.Height != 224 {
		t.Errorf("gapcnn, imagenet preset: %+v, %v", p, err)
	}

	// An ONNX input with dynamic height and width states no size: 224×224 by default.
	mp := &protos.ModelProto{}
	if err := proto.Unmarshal(auxHeadONNX(t), mp); err != nil {
		t.Fatal(err)
	}
	dims := mp.Graph.Input[0].GetType().GetTensorType().GetShape().GetDim()
	for _, i := range []int{0, 2, 3} {
		dims[i].Value = &protos.TensorShapeProto_Dimension_DimParam{DimParam: []string{"n", "", "h", "w"}[i]}
	}
	for _, o := range mp.Graph.Output {
		for i, d := range o.GetType().GetTensorType().GetShape().GetDim() {
			if i != 1 {
				d.Value = &protos.TensorShapeProto_Dimension_DimParam{DimParam: "d"}
			}
		}
	}
	data, err := proto.Marshal(mp)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "dynamic.onnx")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := LoadONNX(path)
	if err != nil {
		t.Fatal(err)
	}
	if s := d.PictureInput(); s.Fixed || s.Height != 0 || d.InputSizeFixed() {
		t.Errorf("dynamic: %+v", s)
	}
	if p, err := d.Preprocessing(preprocess.Request{}); err != nil || p.Height != 224 || p.Why.Size != "default" {
		t.Errorf("dynamic: %+v, %v", p, err)
	}
}
