package models

// InputHints is what a model states about the pictures it expects, read from the model
// file itself (ONNX metadata properties such as WinML's Image.BitmapPixelFormat and
// Image.NominalPixelRange, doc strings that mention BGR, an ImageScaler's scale and bias).
// Zero values mean "not stated". Tools apply them unless the user overrides them, and say
// what they applied.
type InputHints struct {
	// BGR says the model takes its colour channels in blue, green, red order.
	BGR bool
	// PixelRange is the range of the pixel values the model takes: "0-255", "0-1", "-1-1", or ""
	// when the model does not say.
	PixelRange string
	// Mean and Std, when set, are per-channel values the caller subtracts and divides by
	// (in the model's channel order) before feeding the picture.
	Mean, Std []float32
	// Sources lists, one line each, where each hint was read ("metadata
	// Image.BitmapPixelFormat=Bgr8", "ImageScaler node scaler: scale 1, bias [-104 -117 -123]
	// (applied inside the graph)"), for the tools to print.
	Sources []string
}
