// Package models is camviz's model zoo: image classifiers whose interesting activations
// are tapped with stable names, so that an Explainer can explain them at any block.
//
// A [Model] bundles a [Spec] (architecture and sizes, saved as JSON), the variables
// (a GoMLX model.Store) and the graph function. Architectures register themselves by
// name (see [RegisterArch]); the GAP-CNN of Zhou et al. (2016) is "gapcnn". Models train
// with GoMLX's train loop ([Model.Train]) and save to / load from a directory
// ([Model.Save], [Load]): model.json plus a GoMLX checkpoint.
package models
