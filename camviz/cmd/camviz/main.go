// Command camviz explains image classifiers from the command line: it lists a model's
// layers and writes class activation maps (CAM, Grad-CAM and the rest of the family) as
// .npy arrays, PNG overlays and an HTML page, and evaluates, trains and benchmarks.
//
//	go install github.com/camviz/camviz/camviz/cmd/camviz@latest
//
//	camviz layers   --model FILE [--input-shape N,C,H,W] [--score NAME]
//	camviz explain  --model FILE --input FILE|FOLDER|GLOB [--layer NAME...] [--method NAME...]
//	                [--class N|NAME | --argmax] [--labels FILE] [--score NAME] [--raw]
//	                [--format png|npy|both] [--batch N] --out DIR [--colormap NAME] [--alpha A]
//	                [--preset imagenet|caffe|none] [--size H,W] [--bgr] [--range 0-1|0-255] [--mean M] [--std S]
//	camviz evaluate -model NAME -data synthetic|fmnist-canvas -out DIR [...]
//	camviz train    -arch gapcnn|resnet|vgg -data synthetic|fmnist-canvas -out DIR [...]
//	camviz bench    [-quick] [-md FILE]
//	camviz models
//	camviz version
//
// --model is an ONNX file (models.LoadONNX), a camviz model folder (models.Load) or the
// name of a model shipped with camviz (models.LoadShipped, embedded in the binary).
// Run "camviz <command> --help" for the details. Exit status: 0, 1 for a failure while
// computing or writing, 2 for a usage error.
package main

import "os"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}
