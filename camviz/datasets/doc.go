// Package datasets provides the data camviz trains and evaluates on without any
// download:
//
//   - Synthetic: a deterministic localization set of simple shapes (square, disc,
//     triangle, cross, ring, striped bar, and optionally diamond and frame) with random
//     colour and texture, at random positions and scales, on cluttered backgrounds.
//     Every example carries its class, a tight bounding box and a pixel mask, which is
//     what weakly-supervised localization metrics (box accuracy, PxAP) need.
//   - Fashion-MNIST (Xiao, Rasul and Vollgraf 2017, arXiv:1708.07747), read from IDX
//     files (gzip or plain), by default from the Debian package dataset-fashion-mnist,
//     and FashionMNISTCanvas, which pastes its items on larger cluttered canvases to
//     make a localization set with boxes and masks.
//   - NewBatches / NewEvalBatches: adapters to GoMLX's train.Dataset, and LoadImage
//     for PNG/JPEG files with bilinear resizing.
//
// Images are float32 in HWC order (channels last, GoMLX's default) with values in [0,1].
//
// Determinism: every random choice comes from math/rand/v2's PCG generator seeded with
// (Seed, mix(i)) for example i, and all geometry and pixel arithmetic is done in
// integers (fixed point), converting to float32 only at the end by an exact division
// by 255. So the same seed gives byte-identical data on every machine and
// architecture (no dependence on fused multiply-add or on the word size).
package datasets
