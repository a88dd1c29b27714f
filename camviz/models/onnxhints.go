package models

import (
	"fmt"
	"regexp"

	"github.com/gomlx/compute-onnx/support/protos"
)

// bgrWord finds "BGR" as a word in a doc string.
var bgrWord = regexp.MustCompile(`(?i)\bBGR\b`)

// readInputHints reads what an ONNX file states about the pictures its input takes:
//   - metadata_props (model or graph) of WinML's image convention:
//     Image.BitmapPixelFormat = Bgr8 (BGR order) or Rgb8, and Image.NominalPixelRange =
//     NominalRange_0_255 ("0-255"), Normalized_0_1 ("0-1") or Normalized_1_1 ("-1-1");
//   - a doc string of the model, the graph or the image input that names BGR;
//   - the ImageScaler nodes legalization turned into Mul/Add (scale and bias, applied
//     inside the graph: recorded in Sources, not to be applied again).
func readInputHints(mp *protos.ModelProto, input string, legal *legalization) InputHints {
	var h InputHints
	props := append(append([]*protos.StringStringEntryProto{}, mp.MetadataProps...), mp.GetGraph().GetMetadataProps()...)
	for _, p := range props {
		switch p.Key {
		case "Image.BitmapPixelFormat":
			switch p.Value {
			case "Bgr8", "Bgra8":
				h.BGR = true
			case "Rgb8", "Rgba8", "Gray8":
			default:
				continue
			}
			h.Sources = append(h.Sources, fmt.Sprintf("metadata %s=%s", p.Key, p.Value))
		case "Image.NominalPixelRange":
			switch p.Value {
			case "NominalRange_0_255":
				h.PixelRange = "0-255"
			case "Normalized_0_1":
				h.PixelRange = "0-1"
			case "Normalized_1_1":
				h.PixelRange = "-1-1"
			default:
				continue
			}
			h.Sources = append(h.Sources, fmt.Sprintf("metadata %s=%s", p.Key, p.Value))
		}
	}
	docs := []struct{ where, text string }{{"model doc string", mp.DocString}, {"graph doc string", mp.GetGraph().GetDocString()}}
	for _, in := range mp.GetGraph().GetInput() {
		if in.Name == input {
			docs = append(docs, struct{ where, text string }{fmt.Sprintf("input %q doc string", input), in.DocString})
		}
	}
	for _, d := range docs {
		if !h.BGR && bgrWord.MatchString(d.text) {
			h.BGR = true
			h.Sources = append(h.Sources, fmt.Sprintf("%s mentions BGR: %q", d.where, clip(d.text, 80)))
		}
	}
	if legal != nil {
		h.Sources = append(h.Sources, legal.scalers...)
		if legal.float16 != "" {
			h.Sources = append(h.Sources, legal.float16)
		}
	}
	return h
}

// clip shortens s to at most n bytes, marking the cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
