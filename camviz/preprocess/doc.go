// Package preprocess turns a picture into a classifier's input the way the model wants
// it: size, colour order (RGB or BGR), pixel range (0–1 or 0–255) and per-channel
// normalisation (x − mean) / std.
//
// What applies is decided by [Resolve] from three sources, strongest first: the user's
// explicit settings (command-line flags), a named preset (imagenet, caffe, none), what the model
// file states about its input (for ONNX models: metadata such as WinML's
// Image.BitmapPixelFormat, doc strings, an ImageScaler; see models.InputHints), and
// defaults. The resulting [Plan] records why each setting was chosen, so tools can print
// exactly what they did, and [Plan.Apply] does it. The package imports no GoMLX.
package preprocess
