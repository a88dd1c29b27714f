package labels

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/camviz/camviz/internal/testenv"
)

// Well-known ImageNet-1k indices (the ILSVRC-2012 class order used by every torchvision
// and Keras model).
func TestImageNet1kKnownIndices(t *testing.T) {
	names := ImageNet1k()
	if len(names) != ImageNetClasses {
		t.Fatalf("%d names, want %d", len(names), ImageNetClasses)
	}
	for i, want := range map[int]string{0: "tench", 1: "goldfish", 281: "tabby", 285: "Egyptian cat",
		292: "tiger", 948: "Granny Smith", 967: "espresso", 999: "toilet tissue"} {
		if names[i] != want {
			t.Errorf("class %d is %q, want %q", i, names[i], want)
		}
	}
	if err := check(names); err != nil {
		t.Errorf("bundled names: %v", err)
	}
	names[0] = "changed"
	if ImageNet1k()[0] != "tench" {
		t.Error("ImageNet1k returned a shared slice")
	}
}

// The bundled file equals torchvision's list, when Debian's python3-torchvision is there.
func TestImageNet1kEqualsTorchvision(t *testing.T) {
	testenv.NeedPython(t, "apt-get install -y python3-torchvision", "torchvision")
	out, err := exec.Command(testenv.Python, "-c", "import torchvision.models._meta as m; print('\\n'.join(m._IMAGENET_CATEGORIES))").Output()
	if err != nil {
		t.Fatalf("reading torchvision's _IMAGENET_CATEGORIES: %v", err)
	}
	want := strings.Split(strings.TrimSpace(string(out)), "\n")
	if !slices.Equal(ImageNet1k(), want) {
		t.Fatalf("imagenet1k.txt differs from torchvision's _IMAGENET_CATEGORIES (%d vs %d names); regenerate it (README.md)",
			len(ImageNet1k()), len(want))
	}
}

func TestParseForms(t *testing.T) {
	want := []string{"cat", "dog", "hot dog"}
	for name, text := range map[string]string{
		"lines":        "cat\ndog\nhot dog\n",
		"crlf, spaces": "cat\r\n  dog \r\nhot dog",
		"json list":    ` ["cat", "dog", "hot dog"]`,
		"json map":     `{"2": "hot dog", "0": "cat", "1": "dog"}`,
		"bom":          "\uFEFF[\"cat\",\"dog\",\"hot dog\"]",
	} {
		got, err := Parse([]byte(text))
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("%s: got %q, %v; want %q", name, got, err, want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for name, c := range map[string]struct{ text, msg string }{
		"empty":         {"\n \n", "empty"},
		"blank line":    {"cat\n\ndog\n", "class 1 has an empty name"},
		"duplicate":     {"cat\ndog\ncat\n", `classes 0 and 2 are both named "cat"`},
		"bad json":      {`["cat", 3]`, "not a JSON list of strings"},
		"map gap":       {`{"0": "cat", "2": "dog"}`, `key "2"`},
		"map not index": {`{"cat": "dog"}`, `key "cat"`},
		"map same int":  {`{"0": "cat", "00": "dog"}`, "empty name"},
	} {
		_, err := Parse([]byte(c.text))
		if err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: error %v, want one containing %q", name, err, c.msg)
		}
	}
}

func TestLookup(t *testing.T) {
	names := ImageNet1k()
	for q, want := range map[string]int{
		"281": 281, " 0 ": 0, "tabby": 281, "Egyptian cat": 285, "egyptian CAT": 285,
		"tiger": 292, "Granny": 948, "espresso": 967, "espresso m": 550, "crane": 517, "crane b": 134,
	} {
		got, err := Lookup(names, len(names), q)
		if err != nil || got != want {
			t.Errorf("Lookup(%q) = %d, %v; want %d", q, got, err, want)
		}
	}
	for q, msg := range map[string]string{
		"1000":  "outside [0, 1000)",
		"-1":    "outside [0, 1000)",
		"tig":   `ambiguous: it matches 4 class names as a prefix: "tiger shark" (3), "tiger cat" (282), "tiger" (292), "tiger beetle" (300)`,
		"zebu":  "names no class",
		"":      "empty class",
		"ca":    "and ", // more than maxCandidates matches are summarised
		"Tabby": "",     // case-insensitive match: no error
	} {
		_, err := Lookup(names, len(names), q)
		switch {
		case msg == "" && err != nil:
			t.Errorf("Lookup(%q): %v", q, err)
		case msg != "" && (err == nil || !strings.Contains(err.Error(), msg)):
			t.Errorf("Lookup(%q): error %v, want one containing %q", q, err, msg)
		}
	}
	// Exact match wins over a case-insensitive one.
	if got, err := Lookup([]string{"Cat", "cat"}, 2, "cat"); err != nil || got != 1 {
		t.Errorf("exact match: %d, %v", got, err)
	}
	if _, err := Lookup([]string{"Cat", "cAt"}, 2, "CAT"); err == nil || !strings.Contains(err.Error(), "ignoring case") {
		t.Errorf("ambiguous ignoring case: %v", err)
	}
	if _, err := Lookup(nil, 10, "cat"); err == nil || !strings.Contains(err.Error(), "no names") {
		t.Errorf("no names: %v", err)
	}
	if got, err := Lookup(nil, 10, "7"); err != nil || got != 7 {
		t.Errorf("index without names: %d, %v", got, err)
	}
}

func TestChoose(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "l.txt")
	if err := os.WriteFile(file, []byte("a\nb\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := Choose(file, []string{"x", "y"}, 2)
	if err != nil || !slices.Equal(c.Names, []string{"a", "b"}) || c.Source != "--labels "+file {
		t.Errorf("file wins: %+v, %v", c, err)
	}
	if _, err := Choose(file, nil, 3); err == nil || !strings.Contains(err.Error(), "has 2 names but the model has 3 classes") {
		t.Errorf("file count: %v", err)
	}
	c, err = Choose("", []string{"x", "y"}, 2)
	if err != nil || c.Name(1) != "y" || c.Source != "carried by the model" {
		t.Errorf("model names: %+v, %v", c, err)
	}
	if _, err := Choose("", []string{"x"}, 2); err == nil {
		t.Error("model names of the wrong count: no error")
	}
	c, err = Choose("", nil, 1000)
	if err != nil || c.Name(281) != "tabby" || !strings.HasPrefix(c.Source, "ImageNet-1k") {
		t.Errorf("imagenet: %+v, %v", c.Source, err)
	}
	c, err = Choose("", nil, 10)
	if err != nil || c.Names != nil || c.Name(3) != "class 3" || !strings.HasPrefix(c.Source, "none") {
		t.Errorf("none: %+v, %v", c, err)
	}
	if _, err := Choose(filepath.Join(dir, "missing"), nil, 2); err == nil {
		t.Error("missing file: no error")
	}
}
