package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// gapcnn is the shipped GAP-CNN, by name (embedded in the command).
const gapcnn = "gapcnn"

// npyBytes builds a .npy file with the given descr and shape text followed by body.
func npyBytes(descr, shape string, body []byte) []byte {
	header := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': (%s), }", descr, shape)
	header += strings.Repeat(" ", (64-(10+len(header)+1)%64)%64) + "\n"
	var b bytes.Buffer
	b.WriteString("\x93NUMPY\x01\x00")
	_ = binary.Write(&b, binary.LittleEndian, uint16(len(header)))
	b.WriteString(header)
	b.Write(body)
	return b.Bytes()
}

// pngHeaderOnly is a PNG whose header declares a w×h picture and which has no pixels:
// enough for image.DecodeConfig, which is all a pixel limit needs to read.
func pngHeaderOnly(w, h int) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr, uint32(w))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(h))
	ihdr[8], ihdr[9] = 8, 2 // 8-bit RGB
	_ = binary.Write(&b, binary.BigEndian, uint32(len(ihdr)))
	chunk := append([]byte("IHDR"), ihdr...)
	b.Write(chunk)
	_ = binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(chunk))
	return b.Bytes()
}

func writeFile(t *testing.T, path string, data []byte) string {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// smallPicture writes a 64×64 PNG, the GAP-CNN's input size.
func smallPicture(t *testing.T, dir string) string {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, 64, 64))); err != nil {
		t.Fatal(err)
	}
	return writeFile(t, filepath.Join(dir, "pic.png"), buf.Bytes())
}

// TestHostileInputs runs the hostile-input probe's findings through the command: each
// must end in exit 2 and one line that names what is wrong (before, several crashed,
// ran out of memory or silently explained the wrong thing).
func TestHostileInputs(t *testing.T) {
	dir := t.TempDir()
	pic := smallPicture(t, dir)
	huge := writeFile(t, filepath.Join(dir, "huge.npy"), npyBytes("<f4", "100000, 3, 1000, 1000", make([]byte, 1024)))
	overflow := writeFile(t, filepath.Join(dir, "overflow.npy"), npyBytes("<f4", "4294967296, 4294967296, 1, 3", nil))
	trailing := writeFile(t, filepath.Join(dir, "trailing.npy"), npyBytes("<f4", "1, 2, 2, 3", make([]byte, 48+5)))
	rank3 := writeFile(t, filepath.Join(dir, "rank3.npy"), npyBytes("<f4", "3, 8, 8", make([]byte, 3*8*8*4)))
	bigPNG := writeFile(t, filepath.Join(dir, "big.png"), pngHeaderOnly(20000, 20000))
	infBody := make([]byte, 64*64*3*4)
	for i := 0; i < len(infBody); i += 4 {
		binary.LittleEndian.PutUint32(infBody[i:], math.Float32bits(1e36))
	}
	infInput := writeFile(t, filepath.Join(dir, "inf.npy"), npyBytes("<f4", "1, 64, 64, 3", infBody))
	aFile := writeFile(t, filepath.Join(dir, "afile"), []byte("x"))
	out := filepath.Join(dir, "out")
	base := func(input string, extra ...string) []string {
		return append([]string{"explain", "--model", gapcnn, "--input", input, "--layer", "block3", "--method", "gradcam",
			"--out", out}, extra...)
	}
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"npy shape bigger than the file", base(huge), "holds only 1024 bytes"},
		{"npy shape overflows", base(overflow), "more elements than a program can hold"},
		{"npy trailing bytes", base(trailing), "bytes after the 48 bytes of data"},
		{"rank-3 npy echoed as given", base(rank3), "the array has shape [3 8 8], read as one image [1 3 8 8]"},
		{"20000x20000 PNG refused from its header", base(bigPNG), "over the limit of 67108864"},
		{"--size past the pixel limit", base(pic, "--size", "30000,30000"), "--size 30000,30000 is 900000000 pixels"},
		{"--class past int32", base(pic, "--class", "4294967299"), "--class 4294967299: the model has 6 classes"},
		{"--class -1", base(pic, "--class", "-1"), "--class -1: give a class index ≥ 0"},
		{"--class past the classes", base(pic, "--class", "6"), "the model has 6 classes, 0 to 5"},
		{"a folder without pictures as --input", base(t.TempDir()), "holds no picture"},
		{"a folder whose first picture is too big", base(dir), "over the limit of 67108864"},
		{"non-finite logits (finite block1 activations)", []string{"explain", "--model", gapcnn, "--input", infInput, "--layer", "block1",
			"--method", "eigencam", "--out", out}, "non-finite scores"},
		{"--memory-budget negative", base(pic, "--memory-budget", "-3"), "--memory-budget -3: give MiB"},
		{"Score-CAM over a 1 MiB --memory-budget", base(pic, "--method", "scorecam", "--memory-budget", "1"),
			"over the memory budget of 1.0 MiB: raise Config.MemoryBudget (camviz explain --memory-budget MiB)"},
		{"--out is a file", append(base(pic)[:9], "--out", aFile), "is a file, not a folder"},
		{"--out under /proc", append(base(pic)[:9], "--out", "/proc/camviz-out"), "--out /proc/camviz-out: cannot create the folder"},
	} {
		code, stdout, stderr := runCLI(t, c.args...)
		lines := strings.Split(strings.TrimSpace(stderr), "\n")
		if code != exitUsage || len(lines) != 1 || !strings.Contains(stderr, c.want) {
			t.Errorf("%s: exit %d, stderr %q (stdout %q); want exit 2 and one line containing %q",
				c.name, code, stderr, stdout, c.want)
		}
		if _, err := os.Stat(filepath.Join(out, "index.html")); err == nil {
			t.Errorf("%s: a failed run left %s/index.html", c.name, out)
		}
	}
}

// TestFloat64InputSaid checks that a float64 .npy is accepted, explained like its
// float32 values, and that the conversion is said.
func TestFloat64InputSaid(t *testing.T) {
	dir := t.TempDir()
	body := make([]byte, 64*64*3*8)
	for i := 0; i < len(body); i += 8 {
		binary.LittleEndian.PutUint64(body[i:], math.Float64bits(float64(i%97)/97))
	}
	in := writeFile(t, filepath.Join(dir, "in.npy"), npyBytes("<f8", "1, 64, 64, 3", body))
	code, stdout, stderr := runCLI(t, "explain", "--model", gapcnn, "--input", in, "--layer", "block3",
		"--method", "gradcam", "--out", filepath.Join(dir, "out"))
	if code != 0 || !strings.Contains(stdout, "float64 values converted to float32") {
		t.Fatalf("exit %d, stdout %q, stderr %q; want success and the conversion said", code, stdout, stderr)
	}
}

// TestStaleIndexRemoved checks that a run that fails after --out was checked leaves no
// index.html, not even an earlier run's.
func TestStaleIndexRemoved(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(out, "index.html"), []byte("<p>an earlier run</p>"))
	bad := writeFile(t, filepath.Join(dir, "short.npy"), npyBytes("<f4", "1, 64, 64, 3", make([]byte, 100)))
	code, _, stderr := runCLI(t, "explain", "--model", gapcnn, "--input", bad, "--layer", "block3", "--method", "gradcam", "--out", out)
	if code != exitUsage {
		t.Fatalf("exit %d (%s), want 2", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(out, "index.html")); err == nil {
		t.Fatalf("the failed run left the earlier index.html in place")
	}
}

// TestMethodAllPerLayer checks that --method all at a layer where CAM does not apply
// writes every other method there, CAM only where it applies, and says so.
func TestMethodAllPerLayer(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	code, stdout, stderr := runCLI(t, "explain", "--model", gapcnn, "--input", smallPicture(t, dir), "--layer", "block2",
		"--layer", "block3", "--method", "all", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, `CAM left out at layer "block2"`) || strings.Contains(stdout, `layer "block3" (`) {
		t.Errorf("stdout %q: want CAM said to be left out at block2 only", stdout)
	}
	for _, f := range []string{"block3/CAM.npy", "block3/GradCAM.npy", "block2/GradCAM.npy", "block2/ScoreCAM.npy",
		"multilayer/GradCAM.npy", "index.html"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("missing %s: %v", f, err)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "block2", "CAM.npy")); err == nil {
		t.Errorf("block2/CAM.npy written, but CAM does not apply there")
	}
	// block3's CAM equals a CAM-only run's (the split did not change the numbers).
	code, _, stderr = runCLI(t, "explain", "--model", gapcnn, "--input", filepath.Join(dir, "pic.png"), "--layer", "block3",
		"--method", "cam", "--out", filepath.Join(dir, "cam"))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	a, b := readArray(t, filepath.Join(out, "block3", "CAM.npy")), readArray(t, filepath.Join(dir, "cam", "block3", "CAM.npy"))
	if e := absErr(a.Data, b.Data); e > 1e-6 {
		t.Errorf("block3 CAM differs from a CAM-only run by %g", e)
	}
}

// TestLayerFolders checks that layer names become folder names that stay inside --out,
// are unique (also ignoring case), avoid the page's own entries and are short.
func TestLayerFolders(t *testing.T) {
	long := strings.Repeat("conv/", 80)
	layers := []string{"..", ".", "", "a/b", "a_b", "A_B", "multilayer", "index.html", "/abs/path", "x\x00y",
		"../../etc", long, long + "x", ".hidden", "block3"}
	folders, notes := layerFolders(layers)
	out := filepath.Join(t.TempDir(), "out")
	seen := map[string]string{}
	for _, l := range layers {
		f := folders[l]
		if f == "" || strings.ContainsAny(f, "/\x00\\") || strings.HasPrefix(f, ".") || len(f) > maxFolderName {
			t.Errorf("layer %q → folder %q: want a non-empty name without / \\ NUL, not hidden, ≤ %d bytes", l, f, maxFolderName)
		}
		if p := filepath.Join(out, f); filepath.Dir(p) != out {
			t.Errorf("layer %q → %s, outside %s", l, p, out)
		}
		if reservedNames[strings.ToLower(f)] {
			t.Errorf("layer %q → %q, a name the page itself uses", l, f)
		}
		if other, dup := seen[strings.ToLower(f)]; dup {
			t.Errorf("layers %q and %q share the folder %q", other, l, f)
		}
		seen[strings.ToLower(f)] = l
	}
	if folders["block3"] != "block3" {
		t.Errorf("a plain name changed: block3 → %q", folders["block3"])
	}
	if len(notes) != len(layers)-1 {
		t.Errorf("%d notes for %d renamed layers: %q", len(notes), len(layers)-1, notes)
	}
}

// TestIndexAtomic checks writeFileAtomic: the file appears whole, no temporary is left.
func TestIndexAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "index.html")
	if err := writeFileAtomic(path, []byte("<p>done</p>")); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	if got, _ := os.ReadFile(path); string(got) != "<p>done</p>" || len(entries) != 1 {
		t.Fatalf("got %q and %d entries, want the content and no temporary file", got, len(entries))
	}
	if err := writeFileAtomic(filepath.Join(dir, "missing", "index.html"), nil); err == nil {
		t.Fatal("writing into a missing folder succeeded")
	}
}

// TestTrimError checks that a long error from deep inside GoMLX (here shaped like the
// probe's ~500-character unsupported-op message) is cut to its start and its end, and
// that short ones and CAMVIZ_VERBOSE=1 keep everything.
func TestTrimError(t *testing.T) {
	long := "--model m.onnx: models.LoadONNX(m.onnx): building the graph for input [1 3 32 32]: " +
		strings.Repeat("failed to build graph: while converting node #17 (op_type=\"Foo\"): github.com/gomlx/onnx-gomlx/onnx.(*Model).convertNode; ", 6) +
		"unsupported op type \"Foo\" in node \"/foo/Foo\""
	got := trimError(long)
	if len(got) > maxErrorLen+80 || !strings.HasPrefix(got, "--model m.onnx: models.LoadONNX(m.onnx)") ||
		!strings.Contains(got, `unsupported op type "Foo" in node "/foo/Foo"`) || !strings.Contains(got, "CAMVIZ_VERBOSE=1") {
		t.Errorf("trimmed to %d bytes: %q", len(got), got)
	}
	// A GraphError's useful part (before " — while ") is kept whole, its context dropped.
	useful := `ONNX node "q" (op Floor, output "r"): GoMLX defines no gradient for its op Floor, ` + strings.Repeat("so GradCAM cannot go back through it; ", 7)
	build := useful + " — while building the explanation graph for images [1 3 8 8] (layers " + strings.Repeat("[feat] ", 20) + ")"
	if got := trimError(build); got != useful+" — … (CAMVIZ_VERBOSE=1 prints the whole error)" {
		t.Errorf("GraphError trimmed to %q", got)
	}
	if short := "--class 6: the model has 6 classes, 0 to 5"; trimError(short) != short {
		t.Errorf("a short message changed: %q", trimError(short))
	}
	t.Setenv("CAMVIZ_VERBOSE", "1")
	if trimError(long) != long {
		t.Errorf("CAMVIZ_VERBOSE=1 still trimmed")
	}
}

// TestPrepareOut checks --out before anything is computed, without creating it: a
// missing folder under a writable one passes and is not created yet; under a file, or
// under /proc, it is refused; an existing folder's stale index.html is removed.
func TestPrepareOut(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "a", "b")
	if err := prepareOut(missing); err != nil {
		t.Fatalf("a missing folder under a writable one: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "a")); err == nil {
		t.Errorf("prepareOut created %s before anything was computed", filepath.Join(dir, "a"))
	}
	file := writeFile(t, filepath.Join(dir, "f"), []byte("x"))
	for _, bad := range []string{file, filepath.Join(file, "sub"), "/proc/camviz-out/x"} {
		if err := prepareOut(bad); err == nil {
			t.Errorf("--out %s accepted", bad)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("probe files left behind: %v", entries)
	}
}
