package evaluate

import (
	"fmt"
	"strings"

	"github.com/camviz/camviz/camviz"
	"github.com/camviz/camviz/camviz/datasets"
)

// ParseMethods parses a comma-separated list of method names (camviz.ParseMethod's
// spellings); "all" gives nil, which Config reads as every method that applies.
func ParseMethods(list string) ([]camviz.Method, error) {
	if strings.EqualFold(strings.TrimSpace(list), "all") {
		return nil, nil
	}
	var out []camviz.Method
	for _, s := range strings.Split(list, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		m, err := camviz.ParseMethod(s)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// ParseTarget parses "label" (TargetLabel) or "predicted" (TargetPredicted).
func ParseTarget(s string) (Target, error) {
	switch s {
	case "label":
		return TargetLabel, nil
	case "predicted":
		return TargetPredicted, nil
	}
	return TargetLabel, fmt.Errorf("target %q: use label or predicted", s)
}

// WSOLDefaultMetrics are the default columns for a WSOL dataset (datasets.WSOLCUB, …):
// DefaultMetrics without PxAP for the box datasets, whose masks do not exist, and with
// it for OpenImages.
func WSOLDefaultMetrics(dataset string) []Metric {
	var out []Metric
	for _, m := range DefaultMetrics() {
		if m == PxAP && dataset != datasets.WSOLOpenImages {
			continue
		}
		out = append(out, m)
	}
	return out
}
