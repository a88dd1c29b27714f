package nb

import (
	"fmt"
	"image"

	"github.com/camviz/camviz/camviz"
	"github.com/camviz/camviz/camviz/heatmap"
	"github.com/camviz/camviz/camviz/labels"
)

// ResultOptions says how AddResult paints a camviz.Result into an Explorer.
type ResultOptions struct {
	// Images are the explained inputs, one per example of the result, in order: each
	// becomes its example's input picture, under its maps.
	Images []image.Image
	// Examples names the examples (the image buttons); default "image 1", "image 2", ….
	Examples []string
	// Class is the value of the class axis for these maps, e.g. "predicted" or "circle";
	// call AddResult once per explained target to compare classes. "" adds no class axis.
	Class string
	// ClassNames names the model's classes in the captions (e.g. models.Spec.ClassNames
	// or a labels.Choice's Names). When nil and the result has 1000 classes, the
	// ImageNet-1k names bundled with camviz (labels.ImageNet1k) are used; otherwise, and
	// for a blank name, captions say "class <index>" (see ClassName). ResultHTML keeps
	// the index in each caption's data-class attribute and title.
	ClassNames []string
	// Layers and Methods choose what to add; default every layer and method of the result,
	// in its order (the layer slider follows it).
	Layers  []string
	Methods []camviz.Method
	// Colormap paints the maps; default heatmap.Jet.
	Colormap *heatmap.Colormap
}

// AddResult adds, for every example, layer and method of res, its final map
// (res.Final: ReLU, per-image min-max, bilinear resize to the input, as pytorch-grad-cam)
// with AddMap, so that the browser shows heatmap.Overlay(image, final, colormap, α) with
// the opacity slider's α, and a caption naming the explained class, its score and the
// map's size at the layer (h×w of the raw map). Each example's image becomes its input
// picture.
//
// Errors: a nil result, a number of images (or example names) other than the result's
// batch, an image whose size is not the result's input size, a layer or method the
// result lacks.
func (e *Explorer) AddResult(res *camviz.Result, opt ResultOptions) error {
	sel, err := selectResult("nb.Explorer.AddResult", res, opt)
	if err != nil {
		return err
	}
	names, layers, methods, classNames, cm := sel.examples, sel.layers, sel.methods, sel.classNames, sel.colormap
	// Collect every map first, so that an error leaves the explorer unchanged.
	type item struct {
		v       View
		m       *heatmap.Map
		caption string
	}
	var items []item
	for _, l := range layers {
		for _, m := range methods {
			finals, err := res.Final(l, m)
			if err != nil {
				return fmt.Errorf("nb.Explorer.AddResult: %w", err)
			}
			raws, err := res.Raw(l, m)
			if err != nil {
				return fmt.Errorf("nb.Explorer.AddResult: %w", err)
			}
			for i, f := range finals {
				caption := fmt.Sprintf("%s · %s · %s, score %.3g · map %d×%d", l, m, ClassName(classNames, res.Classes[i]),
					res.Scores[i], raws[i].H, raws[i].W)
				items = append(items, item{View{names[i], l, string(m), opt.Class}, f, caption})
			}
		}
	}
	for i, img := range opt.Images {
		if err := e.SetInput(names[i], img); err != nil {
			return fmt.Errorf("nb.Explorer.AddResult: %w", err)
		}
	}
	for _, it := range items {
		if err := e.AddMap(it.v, it.m, cm); err != nil {
			return fmt.Errorf("nb.Explorer.AddResult: %w", err)
		}
		e.captions[it.v] = it.caption
	}
	return nil
}

// resultSelection is what AddResult and ResultHTML show of a result, checked.
type resultSelection struct {
	examples   []string // the examples' names
	layers     []string
	methods    []camviz.Method
	classNames []string // nil: captions say "class <index>"
	colormap   *heatmap.Colormap
}

// selectResult checks res against opt and fills in the defaults (see ResultOptions);
// errors start with fn.
func selectResult(fn string, res *camviz.Result, opt ResultOptions) (*resultSelection, error) {
	if res == nil {
		return nil, fmt.Errorf("%s: result is nil; pass what Explainer.Explain returned", fn)
	}
	n := res.Batch()
	if len(opt.Images) != n {
		return nil, fmt.Errorf("%s: %d images for a result of %d examples; pass ResultOptions.Images, one per example", fn, len(opt.Images), n)
	}
	if opt.Examples != nil && len(opt.Examples) != n {
		return nil, fmt.Errorf("%s: %d example names for a result of %d examples", fn, len(opt.Examples), n)
	}
	sel := &resultSelection{layers: opt.Layers, methods: opt.Methods, classNames: opt.ClassNames, colormap: opt.Colormap}
	if sel.colormap == nil {
		sel.colormap = heatmap.Jet
	}
	if sel.layers == nil {
		sel.layers = res.Layers
	}
	if sel.methods == nil {
		sel.methods = res.Methods
	}
	if sel.classNames == nil && len(res.Logits) > 0 && len(res.Logits[0]) == labels.ImageNetClasses {
		sel.classNames = labels.ImageNet1k()
	}
	h, w := res.InputSize()
	sel.examples = make([]string, n)
	for i := range sel.examples {
		sel.examples[i] = fmt.Sprintf("image %d", i+1)
		if opt.Examples != nil {
			sel.examples[i] = opt.Examples[i]
		}
		if img := opt.Images[i]; img == nil || img.Bounds().Dx() != w || img.Bounds().Dy() != h {
			return nil, fmt.Errorf("%s: image %d is %s, but the result explains %dx%d inputs; pass the explained images",
				fn, i, sizeOf(img), w, h)
		}
	}
	return sel, nil
}

func sizeOf(img image.Image) string {
	if img == nil {
		return "nil"
	}
	return fmt.Sprintf("%dx%d", img.Bounds().Dx(), img.Bounds().Dy())
}
