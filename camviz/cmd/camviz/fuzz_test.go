package main

import (
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzArgs feeds the command's argument handling arbitrary command lines (arguments
// separated by NUL), seeded with the documented forms and the hostile-input probe's
// values: parsing and checking the flags of "explain", the integer and number lists
// (--size, --input-shape, --mean, --std), the layer folder names and the error
// trimming must not panic; a class that passes the checks is an int32 ≥ 0; folder names
// stay inside --out and are unique; a trimmed error is valid UTF-8 and bounded. (The
// flags are parsed and checked only: nothing is loaded or written.)
func FuzzArgs(f *testing.F) {
	for _, seed := range []string{
		"--model\x00m.onnx\x00--input\x00x.png\x00--layer\x00relu2\x00--method\x00gradcam\x00--out\x00o",
		"--model\x00m\x00--input\x00x\x00--layer\x00a\x00--method\x00all\x00--out\x00o\x00--class\x004294967299",
		"--model\x00m\x00--input\x00x\x00--layer\x00..\x00--layer\x00a/b\x00--method\x00cam\x00--out\x00o\x00--class\x00-1",
		"--model=m\x00--input=x\x00--layer=multilayer\x00--method=EigenCAM\x00--out=o\x00--size\x0030000,30000\x00--alpha\x00NaN",
		"--model\x00m\x00--input\x00x\x00--layer\x00index.html\x00--method\x00x\x00--out\x00o\x00--argmax\x00--class\x003",
		"--help", "-h", "", "--colormap\x00nope", "--mean\x00,\x00--std\x000,0,0", "stray",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, line string) {
		args := strings.Split(line, "\x00")
		fl, methods, _, _, err := parseExplain(args, io.Discard)
		if err == nil {
			if i, err := strconv.Atoi(strings.TrimSpace(fl.class)); fl.classSet && err == nil && i < 0 {
				t.Fatalf("--class %d accepted", i)
			}
			if len(methods) == 0 || fl.out == "" { // no --layer: the model's last (defaultLayers)
				t.Fatalf("accepted without methods or --out: %q", args)
			}
			folders, _ := layerFolders(fl.layers)
			seen := map[string]bool{}
			for l, name := range folders {
				if p := filepath.Join("out", name); filepath.Dir(p) != "out" || strings.ContainsAny(name, "/\\\x00") {
					t.Fatalf("layer %q → folder %q leaves --out", l, name)
				}
				if seen[strings.ToLower(name)] || name == "" {
					t.Fatalf("layer %q: folder %q is empty or shared", l, name)
				}
				seen[strings.ToLower(name)] = true
			}
		}
		for _, a := range args {
			_, _ = parseInts("size", a, 2)
			_, _ = parseInts("input-shape", a, 0)
			_, _ = parseFloats("mean", a, 3)
		}
		msg := trimError(line)
		if !utf8.ValidString(msg) && utf8.ValidString(line) {
			t.Fatalf("trimError made invalid UTF-8 of valid input")
		}
		if len(line) > maxErrorLen && len(msg) > maxErrorLen+100 {
			t.Fatalf("trimError left %d bytes", len(msg))
		}
	})
}
