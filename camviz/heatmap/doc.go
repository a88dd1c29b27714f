// Package heatmap turns class activation maps into pictures: the exact
// pytorch-grad-cam post-processing (ReLU, min-max normalisation, bilinear resize,
// multi-layer aggregation), colormaps from their published tables, overlays on
// images, labelled grids and PNG encoding.
//
// It depends only on the standard library and golang.org/x/image (for a bitmap
// font), never on GoMLX, so that it can be used by notebooks, the command-line
// tool and tests without building a graph.
//
// A Map is a single 2-D float32 map, row-major. The post-processing follows
// pytorch-grad-cam v1.5.5 (Gildenblat et al.), BaseCAM:
//
//	final = minmax(resize(minmax(relu(raw))))
//
// with minmax(x) = (x − min x) / (1e-7 + max(x − min x)) and resize = OpenCV
// cv2.resize INTER_LINEAR (half-pixel centres, edge clamp). See PostProcess.
package heatmap
