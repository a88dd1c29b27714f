// Package models is camviz's model zoo: image classifiers whose interesting activations
// are tapped with stable names, so that an Explainer can explain them at any block.
//
// A [Model] bundles a [Spec] (architecture and sizes, saved as JSON), the variables
// (a GoMLX model.Store) and the graph function. Architectures register themselves by
// name (see [RegisterArch]): the GAP-CNN of Zhou et al. (2016) is "gapcnn", a
// torchvision-style ResNet with BasicBlocks is "resnet" (taps "stem", "layer1.0", …;
// [ResNet18Spec] is the full ResNet-18) and a VGG-style network with a GAP head is "vgg"
// (taps "conv1_1", …). Models train with GoMLX's train loop ([Model.Train]) and save to /
// load from a directory ([Model.Save], [Load]): model.json plus a GoMLX checkpoint.
//
// [LoadONNX] imports an ONNX classifier (e.g. exported from PyTorch) through onnx-gomlx
// as a Model whose taps are the ONNX graph's node outputs and whose layout is NCHW
// (Model.ChannelsFirst). [Model.Taps] and [ListLayers] list what can be explained.
package models
