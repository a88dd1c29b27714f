package preprocess

import (
	"fmt"
	"strings"
)

// Pixel ranges: the values a picture's pixels take before normalisation.
const (
	// Range01 scales 8-bit levels to [0, 1] (level/255), as torchvision's ToTensor.
	Range01 = "0-1"
	// Range0255 keeps 8-bit levels, [0, 255], as Caffe-era models (and WinML's
	// NominalPixelRange "NominalRange_0_255") want.
	Range0255 = "0-255"
)

// Presets.
const (
	// PresetImageNet is torchvision's ImageNet preprocessing: RGB, range 0–1, mean
	// 0.485,0.456,0.406, std 0.229,0.224,0.225, 224×224.
	PresetImageNet = "imagenet"
	// PresetCaffe is Caffe's ImageNet preprocessing (the BVLC reference models,
	// SqueezeNet, and their Caffe2/ONNX conversions): BGR, range 0–255, the mean pixel
	// (B, G, R) = (104, 117, 123) subtracted, std 1, 224×224.
	PresetCaffe = "caffe"
	// PresetNone applies nothing: RGB, range 0–1, mean 0, std 1, the model's size.
	PresetNone = "none"
)

// ImageNetMean and ImageNetStd are torchvision's ImageNet normalisation (RGB order,
// range 0–1).
var (
	ImageNetMean = []float32{0.485, 0.456, 0.406}
	ImageNetStd  = []float32{0.229, 0.224, 0.225}
)

// CaffeMean is the mean pixel Caffe's ImageNet models subtract, in their channel order
// (B, G, R), in units of range 0–255: the rounded per-channel means of the ILSVRC-2012
// training images (Caffe's models/*/train_val.prototxt mean_value 104, 117, 123; the
// SqueezeNet v1.0/v1.1 prototxts of DeepScale/SqueezeNet use the same).
var CaffeMean = []float32{104, 117, 123}

// imageNetSize is the presets' height and width.
const imageNetSize = 224

// Stated is what the model says about its input. Zero values mean "not stated".
type Stated struct {
	// Channels is the number of channels the model takes (1 or 3).
	Channels int
	// Height and Width are the model's input size: the size it takes when Fixed, else
	// the size it was made for (zoo models), else 0 (unknown: 224×224 is assumed).
	Height, Width int
	// Fixed says the model takes no other size (an ONNX input with fixed spatial axes).
	Fixed bool
	// BGR says the model takes blue, green, red.
	BGR bool
	// Range is Range01, Range0255 or "".
	Range string
	// Mean and Std are per-channel, in the model's channel order, in units of Range.
	Mean, Std []float32
	// Sources say where the model states these (printed after the plan).
	Sources []string
}

// Request is what the user asked for. Zero values mean "not given".
type Request struct {
	// Preset is PresetImageNet, PresetCaffe, PresetNone or "".
	Preset string
	// Height and Width resize the picture (both 0: not given).
	Height, Width int
	// BGR, when not nil, says whether to feed blue, green, red.
	BGR *bool
	// Range is Range01, Range0255 or "".
	Range string
	// Mean and Std are one value or one per channel, in the model's channel order, in
	// units of the range.
	Mean, Std []float32
}

// Plan is the preprocessing that applies, with the reason for each setting.
type Plan struct {
	Height, Width int
	// Channels is 1 (grey: the mean of R, G and B) or 3.
	Channels int
	BGR      bool
	Range    string
	// Mean and Std have one value per channel, in the model's channel order.
	Mean, Std []float32
	// Why gives the reason of each setting: "--size", "--preset imagenet", "stated by the
	// model", "fixed by the model", "the model's input size", "default".
	Why struct{ Size, Order, Range, Mean, Std string }
	// Sources are the model's statements (Stated.Sources).
	Sources []string
}

// Reasons.
const (
	whyFlag    = "flag"
	whyStated  = "stated by the model"
	whyFixed   = "fixed by the model"
	whyDefault = "default"
)

// Resolve decides the preprocessing: for each setting the user's flag, else the preset,
// else what the model states, else the default (RGB, range 0–1, mean 0, std 1, the
// model's input size or 224×224). A size fixed by the model is stronger than the preset
// (a preset cannot make a fixed-size model take another size; an explicit size that
// differs is left for the model's own input check to reject).
func Resolve(model Stated, req Request) (Plan, error) {
	c := model.Channels
	if c != 1 && c != 3 {
		return Plan{}, fmt.Errorf("preprocess: the model takes %d-channel images; pictures give 1 (grey) or 3 (colour)", c)
	}
	p := Plan{Channels: c, Sources: model.Sources}
	preset := ""
	switch req.Preset {
	case "":
	case PresetImageNet, PresetCaffe, PresetNone:
		preset = "--preset " + req.Preset
	default:
		return Plan{}, fmt.Errorf("preprocess: unknown preset %q: use %q, %q or %q", req.Preset, PresetImageNet, PresetCaffe, PresetNone)
	}
	if (req.Preset == PresetImageNet || req.Preset == PresetCaffe) && c != 3 {
		return Plan{}, fmt.Errorf("preprocess: preset %q is for 3-channel models; this one takes %d", req.Preset, c)
	}

	// Size.
	switch {
	case (req.Height > 0) != (req.Width > 0) || req.Height < 0 || req.Width < 0:
		return Plan{}, fmt.Errorf("preprocess: size %d×%d: give a positive height and width", req.Height, req.Width)
	case req.Height > 0:
		p.Height, p.Width, p.Why.Size = req.Height, req.Width, "--size"
	case model.Fixed && model.Height > 0:
		p.Height, p.Width, p.Why.Size = model.Height, model.Width, whyFixed
	case req.Preset == PresetImageNet || req.Preset == PresetCaffe:
		p.Height, p.Width, p.Why.Size = imageNetSize, imageNetSize, preset
	case model.Height > 0:
		p.Height, p.Width, p.Why.Size = model.Height, model.Width, "the model's input size"
	default:
		p.Height, p.Width, p.Why.Size = imageNetSize, imageNetSize, whyDefault
	}

	// Channel order.
	switch {
	case c == 1:
		p.Why.Order = "the mean of R, G and B"
		if req.BGR != nil && *req.BGR {
			return Plan{}, fmt.Errorf("preprocess: --bgr: the model takes 1-channel (grey) images")
		}
	case req.BGR != nil:
		p.BGR, p.Why.Order = *req.BGR, "--bgr"
	case preset != "":
		p.BGR, p.Why.Order = req.Preset == PresetCaffe, preset
	case model.BGR:
		p.BGR, p.Why.Order = true, whyStated
	default:
		p.Why.Order = whyDefault
	}

	// Range.
	for _, r := range []struct{ flag, v string }{{"--range", req.Range}, {"the model's range", model.Range}} {
		if r.v != "" && r.v != Range01 && r.v != Range0255 {
			return Plan{}, fmt.Errorf("preprocess: %s %q: want %q or %q", r.flag, r.v, Range01, Range0255)
		}
	}
	switch {
	case req.Range != "":
		p.Range, p.Why.Range = req.Range, "--range"
	case req.Preset == PresetCaffe:
		p.Range, p.Why.Range = Range0255, preset
	case preset != "":
		p.Range, p.Why.Range = Range01, preset
	case model.Range != "":
		p.Range, p.Why.Range = model.Range, whyStated
	default:
		p.Range, p.Why.Range = Range01, whyDefault
	}

	// Mean and standard deviation.
	var err error
	presetMean, presetStd := []float32{0}, []float32{1}
	switch req.Preset {
	case PresetImageNet:
		presetMean, presetStd = ImageNetMean, ImageNetStd
	case PresetCaffe:
		presetMean = CaffeMean
	}
	if p.Mean, p.Why.Mean, err = pick("--mean", c, req.Mean, preset, presetMean, model.Mean, 0); err != nil {
		return Plan{}, err
	}
	if p.Std, p.Why.Std, err = pick("--std", c, req.Std, preset, presetStd, model.Std, 1); err != nil {
		return Plan{}, err
	}
	for _, s := range p.Std {
		if s == 0 {
			return Plan{}, fmt.Errorf("preprocess: std %v (%s) has a 0: it divides", p.Std, p.Why.Std)
		}
	}
	return p, nil
}

// pick chooses per-channel values: the flag, else the preset, else the model's, else
// the default; one value is repeated for every channel.
func pick(flag string, c int, fromFlag []float32, preset string, fromPreset, fromModel []float32, def float32) ([]float32, string, error) {
	v, why := []float32{def}, whyDefault
	switch {
	case len(fromFlag) > 0:
		v, why = fromFlag, flag
	case preset != "":
		v, why = fromPreset, preset
	case len(fromModel) > 0:
		v, why = fromModel, whyStated
	}
	if len(v) != 1 && len(v) != c {
		return nil, "", fmt.Errorf("preprocess: %s %v (%s) has %d values; the model takes %d channels: give 1 or %d", flag[2:], v, why, len(v), c, c)
	}
	out := make([]float32, c)
	for i := range out {
		out[i] = v[min(i, len(v)-1)]
	}
	return out, why, nil
}

// String is the plan on one line, each setting with its reason, for example
//
//	preprocessing: 224×224 (--preset imagenet), RGB (--preset imagenet), range 0-1 (--preset imagenet), mean [0.485 0.456 0.406] (--preset imagenet), std [0.229 0.224 0.225] (--preset imagenet)
//
// followed, when the model states anything, by "; the model states: …".
func (p Plan) String() string {
	order := "RGB"
	switch {
	case p.Channels == 1:
		order = "grey"
	case p.BGR:
		order = "BGR"
	}
	s := fmt.Sprintf("preprocessing: %d×%d (%s), %s (%s), range %s (%s), mean %v (%s), std %v (%s)",
		p.Height, p.Width, p.Why.Size, order, p.Why.Order, p.Range, p.Why.Range, p.Mean, p.Why.Mean, p.Std, p.Why.Std)
	if len(p.Sources) > 0 {
		s += "; the model states: " + strings.Join(p.Sources, "; ")
	}
	return s
}
