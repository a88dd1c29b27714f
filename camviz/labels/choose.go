package labels

import "fmt"

// Choice is the set of class names a tool uses, and where they came from.
type Choice struct {
	// Names are the class names, or nil when none apply (classes are then numbered).
	Names []string
	// Source says where they came from, for the tool to print: "--labels FILE",
	// "carried by the model", "ImageNet-1k (bundled with camviz; …)", or "none".
	Source string
}

// Choose picks the class names for a model with numClasses outputs, in this order:
//
//  1. the label file, when file is not "" (read with [ReadFile]; the user asked for it);
//  2. the names the model carries (modelNames, e.g. models.Spec.ClassNames, or the class
//     labels of an ONNX ZipMap);
//  3. the bundled ImageNet-1k names, when the model has exactly 1000 classes;
//  4. none.
//
// A label file or model labels whose count differs from numClasses is an error: names
// for the wrong classes would be worse than numbers.
func Choose(file string, modelNames []string, numClasses int) (Choice, error) {
	if file != "" {
		names, err := ReadFile(file)
		if err != nil {
			return Choice{}, err
		}
		if len(names) != numClasses {
			return Choice{}, fmt.Errorf("labels: %s has %d names but the model has %d classes", file, len(names), numClasses)
		}
		return Choice{Names: names, Source: "--labels " + file}, nil
	}
	if len(modelNames) > 0 {
		if len(modelNames) != numClasses {
			return Choice{}, fmt.Errorf("labels: the model carries %d class names for %d classes; give --labels FILE", len(modelNames), numClasses)
		}
		return Choice{Names: modelNames, Source: "carried by the model"}, nil
	}
	if numClasses == ImageNetClasses {
		return Choice{Names: ImageNet1k(), Source: "ImageNet-1k, bundled with camviz (the model has 1000 classes and no labels of its own; --labels FILE to change)"}, nil
	}
	return Choice{Source: "none (the model carries no labels; --labels FILE to name the classes)"}, nil
}

// Name returns the name of class c, or "class c" when there are no names for it.
func (c Choice) Name(class int) string {
	if class >= 0 && class < len(c.Names) {
		return c.Names[class]
	}
	return fmt.Sprintf("class %d", class)
}
