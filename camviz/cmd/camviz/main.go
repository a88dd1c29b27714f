// Command camviz explains image classifiers from the command line: it lists a model's
// layers and writes class activation maps (CAM, Grad-CAM and the rest of the family) as
// .npy arrays, PNG overlays and an HTML page.
//
//	camviz layers  --model FILE [--input-shape N,C,H,W] [--score NAME]
//	camviz explain --model FILE --input FILE [--layer NAME...] --method NAME [--method NAME...]
//	               [--class N|NAME | --argmax] [--labels FILE] [--score NAME] [--raw]
//	               --out DIR [--colormap NAME] [--alpha A]
//	               [--preset imagenet|none] [--size H,W] [--bgr] [--range 0-1|0-255] [--mean M] [--std S]
//
// --model is an ONNX file (models.LoadONNX) or a camviz model folder (models.Load).
// Run "camviz explain --help" for the details.
package main

import "os"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}
