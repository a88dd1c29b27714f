package datasets

import (
	"flag"
	"image/color"
	"image/png"
	"os"
	"testing"
)

var sheetPath = flag.String("sheet", "", "if set, TestContactSheet also writes a PNG contact sheet of 16 synthetic examples here")

// TestContactSheet checks the sheet geometry and the box outline position; with
// -sheet=PATH it writes the sheet for a visual check.
func TestContactSheet(t *testing.T) {
	ex, err := Synthetic(DefaultSyntheticConfig(), 16)
	if err != nil {
		t.Fatal(err)
	}
	red := color.RGBA{255, 0, 0, 255}
	sheet, err := ContactSheet(ex, 4, 3, red)
	if err != nil {
		t.Fatal(err)
	}
	// 4 cells of 64·3 pixels with 2-pixel gaps: 4·194 − 2 = 774.
	if b := sheet.Bounds(); b.Dx() != 774 || b.Dy() != 774 {
		t.Fatalf("sheet is %v, want 774x774", b)
	}
	// Example 5 sits in row 1, column 1: its box's top-left corner is red.
	b := ex[5].Box
	if got := sheet.RGBAAt(194+b.Min.X*3, 194+b.Min.Y*3); got != red {
		t.Errorf("box corner pixel = %v, want red", got)
	}
	if *sheetPath != "" {
		writeSheet(t, *sheetPath, ex)
	}
	if _, err := ContactSheet(nil, 4, 3, red); err == nil {
		t.Error("ContactSheet(nil) gave no error")
	}
}

func writeSheet(t *testing.T, path string, ex []Example) {
	t.Helper()
	sheet, err := ContactSheet(ex, 4, 3, color.RGBA{255, 0, 0, 255})
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, sheet); err != nil {
		t.Fatal(err)
	}
}
