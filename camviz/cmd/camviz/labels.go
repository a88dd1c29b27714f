package main

import (
	"fmt"
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

// formatTop is an image's top-k on one line, probabilities to 4 significant digits:
// "0.5321 tabby (281) | 0.2011 tiger cat (282) | …".
func formatTop(c labels.Choice, top []labels.Prediction) string {
	parts := make([]string, len(top))
	for i, r := range top {
		parts[i] = fmt.Sprintf("%.4g %s", r.Prob, classLabel(c, r.Class))
	}
	return strings.Join(parts, " | ")
}
