package main

import (
	"fmt"
	"io"

	"github.com/camviz/camviz/camviz/models"
)

const modelsUsage = `Usage: camviz models

Lists the trained models shipped with camviz: their names work wherever --model takes a
model (camviz explain --model gapcnn ...), with their input size, classes and the layers
worth explaining.

`

// runModels lists the shipped models, one per line: name, input shape, classes, layers.
func runModels(args []string, stdout io.Writer) error {
	fs := newFlagSet("models", modelsUsage, stdout)
	if err := fs.parse(args); err != nil {
		return err
	}
	names := models.ShippedNames()
	for _, name := range names {
		m, err := models.LoadShipped(name)
		if err != nil {
			return fmt.Errorf("shipped model %s: %w", name, err)
		}
		fmt.Fprintf(stdout, "%-14s input %v (H,W,C), %d classes, layers %v\n", name, m.Spec.InputSize, m.Spec.NumClasses, m.Layers)
	}
	return nil
}
