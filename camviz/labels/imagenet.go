package labels

import (
	_ "embed"
	"strings"
)

// ImageNetClasses is the number of ImageNet-1k classes.
const ImageNetClasses = 1000

//go:embed imagenet1k.txt
var imagenet1k string

// ImageNet1k returns the 1000 ImageNet-1k (ILSVRC-2012) class names in class-index order,
// as torchvision names them (torchvision.models._meta._IMAGENET_CATEGORIES; see this
// package's README.md for how the file was made and its licence). The slice is a fresh
// copy the caller may modify.
func ImageNet1k() []string {
	return strings.Split(strings.TrimSuffix(imagenet1k, "\n"), "\n")
}
