package labels

import (
	"fmt"
	"math"
	"sort"
)

// Prediction is one class of an image's top-k.
type Prediction struct {
	// Class is the class index, Name its name (Choice.Name: "class N" when unnamed).
	Class int
	Name  string
	// Prob is the softmax probability of the class among all the scores.
	Prob float64
	// Score is the class score itself (a logit).
	Score float32
}

// String is "name (index) probability", or "class N probability" without names.
func (p Prediction) String() string {
	if p.Name == fmt.Sprintf("class %d", p.Class) {
		return fmt.Sprintf("%s %.4g", p.Name, p.Prob)
	}
	return fmt.Sprintf("%s (%d) %.4g", p.Name, p.Class, p.Prob)
}

// TopK returns the k classes of highest score, highest first (ties: the lower index
// first), named by c, with their softmax probabilities computed in float64:
//
//	p_c = exp(s_c − max s) / Σ_j exp(s_j − max s)
//
// k larger than the number of scores returns them all.
func TopK(c Choice, scores []float32, k int) []Prediction {
	hi := math.Inf(-1)
	for _, s := range scores {
		hi = math.Max(hi, float64(s))
	}
	sum := 0.0
	for _, s := range scores {
		sum += math.Exp(float64(s) - hi)
	}
	all := make([]Prediction, len(scores))
	for i, s := range scores {
		all[i] = Prediction{Class: i, Name: c.Name(i), Prob: math.Exp(float64(s)-hi) / sum, Score: s}
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].Score > all[j].Score })
	return all[:max(0, min(k, len(all)))]
}
