package main

import (
	"fmt"
	"math"
	"os"
	"slices"
	"strings"

	"github.com/camviz/camviz/camviz"
	"github.com/camviz/camviz/camviz/models"
	"github.com/gomlx/compute"
)

// checkClass checks an explicit --class against the model: an index in
// [0, NumClasses). (A value past int32, e.g. 4294967299, used to wrap around to
// class 3; -1 used to mean the argmax silently.)
func checkClass(class int, m *models.Model) error {
	n := m.Spec.NumClasses
	if class < 0 {
		return usagef("--class %d: give a class index ≥ 0 (leave --class out, or give --argmax, to explain the predicted class)", class)
	}
	if class > math.MaxInt32 || (n > 0 && class >= n) {
		return usagef("--class %d: the model has %d classes, 0 to %d", class, n, n-1)
	}
	return nil
}

// checkLogits refuses a result whose logits are not finite: the predicted class and
// every map computed from them would be meaningless (an Eigen-CAM map does not look
// at the score and used to be written anyway).
func checkLogits(res *camviz.Result) error {
	for i, logits := range res.Logits {
		for c, v := range logits {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return usagef("image %d: the model's logit for class %d is %v: the input (or the model) gives non-finite scores; "+
					"check the input's values and --mean/--std", i, c, v)
			}
		}
	}
	return nil
}

// splitAll decides, for "--method all", which methods apply at each layer: every
// method applies everywhere except CAM, which needs the classifier's weights to match
// the layer's channels (the last conv layer before global average pooling). CAM is
// tried at each layer on the input (one forward pass each); where it fails it is left
// out there. It returns the layers where CAM applies and a note for the others.
func splitAll(m *models.Model, backend compute.Backend, in *input, layers []string, target camviz.Target) (camLayers []string, notes []string) {
	for _, l := range layers {
		ex, err := m.Explainer(backend, []string{l}, camviz.MethodCAM)
		if err == nil {
			_, err = ex.ExplainFloats(in.data, in.dims, target)
		}
		if err == nil {
			camLayers = append(camLayers, l)
			continue
		}
		notes = append(notes, fmt.Sprintf("--method all: CAM left out at layer %q (%s)", l, strings.TrimPrefix(firstSentence(err.Error()), "camviz: ")))
	}
	return camLayers, notes
}

// firstSentence is the first line of msg, cut at its first "; " after 80 characters.
func firstSentence(msg string) string {
	msg, _, _ = strings.Cut(strings.TrimSpace(msg), "\n")
	if i := strings.Index(msg[min(len(msg), 80):], "; "); i >= 0 {
		msg = msg[:80+i]
	}
	return msg
}

// maxErrorLen bounds the one-line error the command prints (set CAMVIZ_VERBOSE=1 for
// the whole message): errors from deep inside GoMLX (an unsupported op, a shape
// mismatch in a graph) run to hundreds of characters of internals.
const maxErrorLen = 400

// trimError shortens a long message: it keeps the start, which says what failed, and
// the end, which says why, and tells how to see the rest; a camviz.GraphError keeps its
// first part (what failed, before " — while …") whole and drops the context.
func trimError(msg string) string {
	if len(msg) <= maxErrorLen || os.Getenv("CAMVIZ_VERBOSE") != "" {
		return msg
	}
	// A camviz.GraphError puts what failed before " — while building …": keep that whole.
	if i := strings.Index(msg, " — while "); i > 0 && i <= maxErrorLen {
		return strings.ToValidUTF8(msg[:i], "") + " — … (CAMVIZ_VERBOSE=1 prints the whole error)"
	}
	head, tail := msg[:maxErrorLen*2/3], msg[len(msg)-maxErrorLen/4:]
	if i := strings.LastIndex(head, "; "); i > maxErrorLen/3 {
		head = head[:i]
	}
	if i := strings.Index(tail, ": "); i >= 0 && i < len(tail)/2 {
		tail = tail[i+2:]
	}
	return strings.ToValidUTF8(head, "") + " … " + strings.ToValidUTF8(tail, "") + " (CAMVIZ_VERBOSE=1 prints the whole error)"
}

// camPlan is how "--method all" runs CAM: only at the layers where the classifier's
// weights apply, in an Explainer of its own, while the other methods run in the main
// Explainer over every layer.
type camPlan struct {
	// main are the methods of the main Explainer.
	main []camviz.Method
	// skip marks, per layer, CAM where it was left out (nil when it applies everywhere).
	skip map[string]map[camviz.Method]bool
	// cam explains CAM at the layers it applies to; nil when the main Explainer does.
	cam *camviz.Explainer
}

// planCAM splits methods for --method all, trying CAM at each layer on in (splitAll),
// and returns the notes that say where CAM was left out.
func (f *explainFlags) planCAM(m *models.Model, backend compute.Backend, in *input, methods []camviz.Method,
	target camviz.Target) (plan camPlan, notes []string, err error) {
	plan.main = methods
	if !f.all || !slices.Contains(methods, camviz.MethodCAM) || len(f.layers) == 0 {
		return plan, nil, nil
	}
	camLayers, notes := splitAll(m, backend, in, f.layers, target)
	if len(camLayers) == len(f.layers) {
		return plan, notes, nil
	}
	plan.main = slices.DeleteFunc(slices.Clone(methods), func(x camviz.Method) bool { return x == camviz.MethodCAM })
	plan.skip = map[string]map[camviz.Method]bool{}
	for _, l := range f.layers {
		if !slices.Contains(camLayers, l) {
			plan.skip[l] = map[camviz.Method]bool{camviz.MethodCAM: true}
		}
	}
	if len(camLayers) > 0 {
		if plan.cam, err = f.explainer(backend, m, camLayers, camviz.MethodCAM); err != nil {
			return plan, notes, usageError{err}
		}
	}
	return plan, notes, nil
}
