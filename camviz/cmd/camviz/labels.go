package main

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/camviz/camviz/camviz/labels"
	"github.com/camviz/camviz/camviz/models"
)

// topK is the number of classes reported per image.
const topK = 5

// chooseLabels names the model's classes: --labels FILE, else the model's own names,
// else the bundled ImageNet-1k names for a 1000-class model (camviz/labels.Choose).
func chooseLabels(file string, m *models.Model) (labels.Choice, error) {
	c, err := labels.Choose(file, m.Spec.ClassNames, m.Spec.NumClasses)
	if err != nil {
		return c, usagef("%s", strings.TrimPrefix(err.Error(), "labels: "))
	}
	return c, nil
}

// classLabel is "name (index)" when the classes have names, else "class index".
func classLabel(c labels.Choice, class int) string {
	if class >= 0 && class < len(c.Names) {
		return fmt.Sprintf("%s (%d)", c.Names[class], class)
	}
	return c.Name(class)
}

// ranked is one class of an image's top-k: its index, softmax probability and score.
type ranked struct {
	class int
	prob  float64
	score float32
}

// topClasses returns the k classes of highest score, highest first (ties: lower index
// first), with their softmax probabilities softmax(s)_c = exp(s_c − max s) / Σ_j exp(s_j − max s),
// computed in float64.
func topClasses(scores []float32, k int) []ranked {
	hi := math.Inf(-1)
	for _, s := range scores {
		hi = math.Max(hi, float64(s))
	}
	sum := 0.0
	for _, s := range scores {
		sum += math.Exp(float64(s) - hi)
	}
	all := make([]ranked, len(scores))
	for c, s := range scores {
		all[c] = ranked{class: c, prob: math.Exp(float64(s)-hi) / sum, score: s}
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].score > all[j].score })
	return all[:min(k, len(all))]
}

// formatTop is an image's top-k on one line, probabilities to 4 significant digits:
// "0.5321 tabby (281) | 0.2011 tiger cat (282) | …".
func formatTop(c labels.Choice, top []ranked) string {
	parts := make([]string, len(top))
	for i, r := range top {
		parts[i] = fmt.Sprintf("%.4g %s", r.prob, classLabel(c, r.class))
	}
	return strings.Join(parts, " | ")
}
