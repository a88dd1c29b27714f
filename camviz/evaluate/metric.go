package evaluate

import (
	"fmt"
	"strings"
)

// Metric names one column of the evaluation table.
type Metric string

// The metrics, in the table's default column order. Percentages are 0–100; AUCs and ROAD
// values are in softmax-probability units (see each constant).
const (
	// MaxBoxAcc = max_τ BoxAcc(τ, δ = 0.5), percent (Choe et al. 2020; higher is better).
	MaxBoxAcc Metric = "MaxBoxAcc"
	// MaxBoxAccV2 = mean over δ ∈ IoUThresholds of max_τ BoxAcc(τ, δ), with every
	// component's box scored (multi-contour), percent (Choe et al. 2020; higher is better).
	MaxBoxAccV2 Metric = "MaxBoxAccV2"
	// Top1Loc is the percent of images classified right (argmax = label) whose box at
	// MaxBoxAcc's best τ has IoU ≥ 0.5 (higher is better).
	Top1Loc Metric = "Top1Loc"
	// PxAP is the area under the pixel precision-recall curve against the object masks,
	// pooled over the dataset, percent (Choe et al. 2020; higher is better).
	PxAP Metric = "PxAP"
	// PointingGame is the percent of images whose map maximum falls on the object box
	// within Config.PointingTolerance pixels (Zhang et al. 2016; higher is better).
	PointingGame Metric = "PointingGame"
	// AverageDrop = (100/N) Σ max(0, Y−O)/Y with Y the class probability of the image and
	// O that of image ⊙ map, percent (Chattopadhyay et al. 2018; lower is better).
	AverageDrop Metric = "AverageDrop"
	// IncreaseInConfidence = (100/N) Σ [O > Y], percent (Chattopadhyay et al. 2018;
	// higher is better).
	IncreaseInConfidence Metric = "IncreaseInConfidence"
	// Deletion is the mean area under the class probability as the most salient pixels
	// are set to zero, in [0, 1] (Petsiuk et al. 2018; lower is better).
	Deletion Metric = "DeletionAUC"
	// Insertion is the mean area under the class probability as the most salient pixels
	// are restored onto a blurred image, in [0, 1] (Petsiuk et al. 2018; higher is better).
	Insertion Metric = "InsertionAUC"
	// ROAD is pytorch-grad-cam's ROADCombined = (LeRF − MoRF)/2, the mean change of the
	// class probability when the least (LeRF) or most (MoRF) relevant 10…90 % of the
	// pixels are imputed, in [−1, 1] (Rong et al. 2022; higher is better). It costs 19
	// forward passes and 18 sparse solves per image, so it is not in DefaultMetrics.
	ROAD Metric = "ROADCombined"
)

// metricInfo says how a metric is printed and read.
type metricInfo struct {
	percent      bool // a percentage (0–100); otherwise a fraction or a difference
	higherBetter bool
	needsScore   bool // runs the model on modified images
}

var metricTable = map[Metric]metricInfo{
	MaxBoxAcc:            {percent: true, higherBetter: true},
	MaxBoxAccV2:          {percent: true, higherBetter: true},
	Top1Loc:              {percent: true, higherBetter: true},
	PxAP:                 {percent: true, higherBetter: true},
	PointingGame:         {percent: true, higherBetter: true},
	AverageDrop:          {percent: true, needsScore: true},
	IncreaseInConfidence: {percent: true, higherBetter: true, needsScore: true},
	Deletion:             {needsScore: true},
	Insertion:            {higherBetter: true, needsScore: true},
	ROAD:                 {higherBetter: true, needsScore: true},
}

// AllMetrics lists every metric in table order.
func AllMetrics() []Metric {
	return []Metric{MaxBoxAcc, MaxBoxAccV2, Top1Loc, PxAP, PointingGame, AverageDrop,
		IncreaseInConfidence, Deletion, Insertion, ROAD}
}

// DefaultMetrics is AllMetrics without ROAD (the slowest).
func DefaultMetrics() []Metric { return AllMetrics()[:len(AllMetrics())-1] }

// LocalizationMetrics are the metrics that need no extra forward pass: box accuracies,
// Top-1 Loc, PxAP and the pointing game.
func LocalizationMetrics() []Metric { return AllMetrics()[:5] }

// HigherIsBetter reports whether larger values of m are better (false for Average Drop
// and the deletion AUC).
func (m Metric) HigherIsBetter() bool { return metricTable[m].higherBetter }

// IsPercent reports whether m is a percentage in [0, 100].
func (m Metric) IsPercent() bool { return metricTable[m].percent }

// Format prints a value of m: one decimal for percentages, three for the others.
func (m Metric) Format(v float64) string {
	if m.IsPercent() {
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.3f", v)
}

// ParseMetric finds a metric by name, case-insensitively; "ROAD", "deletion",
// "insertion", "pointing", "drop" and "increase" are accepted as short names.
func ParseMetric(name string) (Metric, error) {
	short := map[string]Metric{"road": ROAD, "deletion": Deletion, "insertion": Insertion,
		"pointing": PointingGame, "drop": AverageDrop, "increase": IncreaseInConfidence,
		"top1": Top1Loc, "top-1": Top1Loc}
	n := strings.TrimSpace(name)
	if m, ok := short[strings.ToLower(n)]; ok {
		return m, nil
	}
	for _, m := range AllMetrics() {
		if strings.EqualFold(string(m), n) {
			return m, nil
		}
	}
	names := make([]string, 0, len(metricTable))
	for _, m := range AllMetrics() {
		names = append(names, string(m))
	}
	return "", fmt.Errorf("evaluate: unknown metric %q; known metrics: %s (or the short names road, deletion, insertion, pointing, drop, increase, top1)",
		name, strings.Join(names, ", "))
}

// ParseMetrics parses a comma-separated list ("MaxBoxAccV2,PxAP,road"); "all" is
// AllMetrics, "default" or "" DefaultMetrics, "localization" LocalizationMetrics.
func ParseMetrics(list string) ([]Metric, error) {
	switch strings.ToLower(strings.TrimSpace(list)) {
	case "", "default":
		return DefaultMetrics(), nil
	case "all":
		return AllMetrics(), nil
	case "localization", "loc":
		return LocalizationMetrics(), nil
	}
	var out []Metric
	seen := map[Metric]bool{}
	for _, s := range strings.Split(list, ",") {
		if strings.TrimSpace(s) == "" {
			continue
		}
		m, err := ParseMetric(s)
		if err != nil {
			return nil, err
		}
		if !seen[m] {
			seen[m] = true
			out = append(out, m)
		}
	}
	return out, nil
}
