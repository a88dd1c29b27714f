package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/camviz/camviz/camviz"
	"github.com/camviz/camviz/camviz/backends"
)

const layersUsage = `Usage: camviz layers --model FILE [--input-shape DIMS] [--score NAME]

Lists every tapped layer (activation) of the model with its shape and dtype, in graph
order. Layers marked * are activations that CAM methods can explain — feature maps
[N,C,h,w] / [N,h,w,C] and vision-transformer tokens [N,T,D] — and, where it is not the
model's own, the layout camviz infers for them (tokens HxW drop D: the grid and the
leading class tokens dropped; channels-last: an NHWC block in an NCHW model; "set
--tokens" when it cannot tell); give their names to "camviz explain --layer". ONNX
layers are named by their ONNX output names (a leading "/" may be given or left out).
The layer marked "← default" is what "camviz explain" explains without --layer: the last
activation with spatial extent before the global pooling that feeds the scores (for a
vision transformer, the input of its last attention, blocks[-1].norm1). The
"scores:" line names the tensor used as the class scores (--score to choose another).

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
	taps, internal := splitInternalTaps(taps)
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
	cfg := m.Config(nil)
	imageHW := [2]int{dims[1], dims[2]}
	if m.ChannelsFirst && len(dims) == 4 {
		imageHW = [2]int{dims[2], dims[3]}
	}
	for _, t := range taps {
		mark, layout := " ", ""
		if explainable[t.Name] || ((len(t.Shape) == 4 || len(t.Shape) == 3) && strings.HasPrefix(t.DType, "Float")) {
			mark = "*"
			own := camviz.LayoutChannelsLast
			if m.ChannelsFirst {
				own = camviz.LayoutChannelsFirst
			}
			if l, err := cfg.LayerLayout(t.Name, t.Shape, imageHW); err == nil && l.Kind != own {
				layout = l.String()
			} else if err != nil && len(t.Shape) == 3 {
				layout = "tokens: set --tokens HxW --drop-tokens N"
			}
		}
		if t.Name == def {
			layout = strings.TrimSpace(layout + " ← default")
		}
		fmt.Fprintf(tw, "%s %s\t%v\t%s\t%s\n", mark, t.Name, t.Shape, t.DType, layout)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(internal) > 0 {
		fmt.Fprintf(stdout, "(not listed: %s, camviz's own tap for CAM's classifier weights)\n", strings.Join(internal, ", "))
	}
	return nil
}

// splitInternalTaps separates the taps camviz adds for its own use (named "camviz.…",
// such as CAM's classifier weights) from the model's layers.
func splitInternalTaps(taps []camviz.TapInfo) (layers []camviz.TapInfo, internal []string) {
	for _, t := range taps {
		if strings.HasPrefix(t.Name, "camviz.") {
			internal = append(internal, t.Name)
			continue
		}
		layers = append(layers, t)
	}
	return layers, internal
}
