package heatmap

import (
	"image"
	"reflect"
)

// nilImage reports whether img is nil or a nil pointer inside the interface (a typed nil
// such as (*image.RGBA)(nil)), on which image.Image's methods would panic.
func nilImage(img image.Image) bool {
	if img == nil {
		return true
	}
	v := reflect.ValueOf(img)
	return v.Kind() == reflect.Pointer && v.IsNil()
}
