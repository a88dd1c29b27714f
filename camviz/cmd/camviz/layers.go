package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/camviz/camviz/camviz/backends"
)

const layersUsage = `Usage: camviz layers --model FILE [--input-shape DIMS] [--score NAME]

Lists every tapped layer (activation) of the model with its shape and dtype, in graph
order. Layers marked * are 4-D activations that CAM methods can explain; give their names
to "camviz explain --layer". The one marked "← default" is what "camviz explain" explains
without --layer: the last activation with spatial extent before the global pooling that
feeds the scores. ONNX layers are named by their ONNX output names (a leading
"/" may be given or left out).

Flags:
`

func runLayers(args []string, stdout io.Writer) error {
	fs := newFlagSet("layers", layersUsage, stdout)
	modelPath := fs.String("model", "", "ONNX file or camviz model folder (required)")
	shape := fs.String("input-shape", "", "input dimensions in the model's layout: N,C,H,W for ONNX models, N,H,W,C for\n"+
		"zoo models (default: one image of the model's input size)")
	score := fs.String("score", "", "node output to use as the class scores (ONNX; as in camviz explain): the default layer\n"+
		"is the one feeding it")
	if err := fs.parse(args); err != nil {
		return err
	}
	m, err := loadModel(*modelPath, *score)
	if err != nil {
		return err
	}
	dims := m.InputDims(1)
	if *shape != "" {
		if dims, err = parseInts("input-shape", *shape, 0); err != nil {
			return err
		}
		if err := m.CheckInput(dims); err != nil {
			return usagef("--input-shape: %v", err)
		}
	}
	backend, err := backends.New()
	if err != nil {
		return err
	}
	taps, err := m.Taps(backend, dims...)
	if err != nil {
		return err
	}
	explainable := map[string]bool{}
	for _, l := range m.Layers {
		explainable[l] = true
	}
	def, defErr := m.DefaultLayerFromTaps(taps)
	fmt.Fprintf(stdout, "model %s: %s, input %s %v, %d classes, %d taps\n", *modelPath, m.Spec.Arch,
		layoutName(m), dims, m.Spec.NumClasses, len(taps))
	fmt.Fprintln(stdout, scoreLine(m, taps))
	if defErr != nil {
		fmt.Fprintf(stdout, "default layer: none (%s)\n", strings.TrimPrefix(defErr.Error(), "models: "))
	}
	tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
	for _, t := range taps {
		mark := " "
		if explainable[t.Name] || (len(t.Shape) == 4 && strings.HasPrefix(t.DType, "Float")) {
			mark = "*"
		}
		note := ""
		if t.Name == def {
			note = "\t← default"
		}
		fmt.Fprintf(tw, "%s %s\t%v\t%s%s\n", mark, t.Name, t.Shape, t.DType, note)
	}
	return tw.Flush()
}
