package main

import (
	"cmp"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/camviz/camviz/camviz/labels"
	"github.com/camviz/camviz/camviz/npy"
	"github.com/camviz/camviz/internal/testenv"
)

// tinyImageNet runs testdata/tiny_imagenet.py: a seeded 1000-class CNN exported from
// torch to ONNX, scikit-image's chelsea photograph at 64×64, and torch's logits of the
// picture under each preprocessing the tests use. It skips (fails under CI=true) when
// Debian's torch, PIL or scikit-image are missing.
func tinyImageNet(t *testing.T) (dir string, expected map[string]struct {
	Top5   []int     `json:"top5"`
	Probs  []float64 `json:"probs"`
	Logits []float64 `json:"logits"`
}) {
	t.Helper()
	testenv.NeedPython(t, "apt-get install -y python3-torch python3-numpy python3-pil python3-skimage", "torch", "numpy", "PIL", "skimage")
	dir = t.TempDir()
	if out, err := exec.Command(testenv.Python, "testdata/tiny_imagenet.py", dir).CombinedOutput(); err != nil {
		t.Fatalf("testdata/tiny_imagenet.py: %v\n%s", err, out)
	}
	data, err := os.ReadFile(filepath.Join(dir, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &expected); err != nil {
		t.Fatal(err)
	}
	return dir, expected
}

var topLine = regexp.MustCompile(`(?m)^  top-5 softmax: (.*)$`)

// checkTop5 compares the printed top-5 line with torch's: the same names in the same
// order, probabilities within the 4 printed significant digits.
func checkTop5(t *testing.T, what, stdout string, top5 []int, probs []float64) {
	t.Helper()
	m := topLine.FindStringSubmatch(stdout)
	if m == nil {
		t.Fatalf("%s: no top-5 line in\n%s", what, stdout)
	}
	names := labels.ImageNet1k()
	parts := strings.Split(m[1], " | ")
	if len(parts) != 5 {
		t.Fatalf("%s: %d entries in %q", what, len(parts), m[1])
	}
	for i, p := range parts {
		prob, label, _ := strings.Cut(p, " ")
		want := fmt.Sprintf("%s (%d)", names[top5[i]], top5[i])
		if label != want {
			t.Errorf("%s: top-%d is %q, torch says %q", what, i+1, label, want)
		}
		v, err := strconv.ParseFloat(prob, 64)
		if err != nil || math.Abs(v-probs[i]) > 1e-3*probs[i] {
			t.Errorf("%s: top-%d probability %s, torch %.6g", what, i+1, prob, probs[i])
		}
	}
}

// TestExplainImageNetPicture runs "camviz explain" on a torch-exported 1000-class model
// and a real photograph, with the ImageNet preset and with BGR 0-255 flags: the printed
// labels line (bundled ImageNet-1k names), score tensor, preprocessing, default layer,
// and top-5 names and softmax probabilities equal what torch computes from the same
// picture preprocessed in float64 NumPy. --class by name explains that class; an
// ambiguous name is a usage error listing the candidates.
func TestExplainImageNetPicture(t *testing.T) {
	dir, expected := tinyImageNet(t)
	model, pic := filepath.Join(dir, "tiny1000.onnx"), filepath.Join(dir, "chelsea64.png")

	code, stdout, stderr := runCLI(t, "explain", "--model", model, "--input", pic, "--method", "gradcam",
		"--preset", "imagenet", "--out", t.TempDir())
	if code != 0 {
		t.Fatalf("imagenet preset: exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		"labels: ImageNet-1k, bundled with camviz (the model has 1000 classes and no labels of its own; --labels FILE to change)\n",
		"scores: logits [1 1000] (graph output)\n",
		"preprocessing: 64×64 (fixed by the model), RGB (--preset imagenet), range 0-1 (--preset imagenet), " +
			"mean [0.485 0.456 0.406] (--preset imagenet), std [0.229 0.224 0.225] (--preset imagenet)\n",
		"layers: 4/Relu_output_0 (default: the last feature map before the global pooling, or a transformer's last attention input; --layer to choose)\n",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("imagenet preset: no line %q in\n%s", want, stdout)
		}
	}
	e := expected["imagenet"]
	checkTop5(t, "imagenet preset", stdout, e.Top5, e.Probs)
	t.Logf("imagenet preset:\n%s", stdout)

	code, stdout, stderr = runCLI(t, "explain", "--model", model, "--input", pic, "--method", "gradcam",
		"--bgr", "--range", "0-255", "--mean", "104,117,123", "--std", "58,57,57", "--class", "Tabby", "--out", t.TempDir())
	if code != 0 {
		t.Fatalf("bgr: exit %d: %s", code, stderr)
	}
	if want := "preprocessing: 64×64 (fixed by the model), BGR (--bgr), range 0-255 (--range), mean [104 117 123] (--mean), " +
		"std [58 57 57] (--std)\n"; !strings.Contains(stdout, want) {
		t.Errorf("bgr: no line %q in\n%s", want, stdout)
	}
	e = expected["bgr"]
	checkTop5(t, "bgr", stdout, e.Top5, e.Probs)
	if !strings.Contains(stdout, "; explained tabby (281)\n") {
		t.Errorf("--class Tabby: stdout does not explain tabby (281):\n%s", stdout)
	}

	// A folder of pictures: every picture gets the lines and its top-5.
	folder := t.TempDir()
	data, err := os.ReadFile(pic)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"a.png", "b.png"} {
		if err := os.WriteFile(filepath.Join(folder, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	code, stdout, stderr = runCLI(t, "explain", "--model", model, "--input", folder, "--preset", "imagenet", "--class", "tabby",
		"--out", t.TempDir())
	if code != 0 {
		t.Fatalf("folder: exit %d: %s", code, stderr)
	}
	if n := strings.Count(stdout, "; explained tabby (281)\n"); n != 2 || !strings.Contains(stdout, "labels: ImageNet-1k") ||
		!strings.Contains(stdout, "preprocessing: 64×64 (fixed by the model), RGB (--preset imagenet)") {
		t.Errorf("folder: %d pictures explained as tabby, want 2:\n%s", n, stdout)
	}
	for _, m := range topLine.FindAllStringSubmatch(stdout, -1) {
		checkTop5(t, "folder", "  top-5 softmax: "+m[1]+"\n", expected["imagenet"].Top5, expected["imagenet"].Probs)
	}

	// The same network ending in Softmax: the Softmax's input is the score, so the top-5
	// and its probabilities are the same.
	code, stdout, stderr = runCLI(t, "explain", "--model", filepath.Join(dir, "tiny1000_softmax.onnx"), "--input", pic,
		"--method", "gradcam", "--preset", "imagenet", "--out", t.TempDir())
	if code != 0 {
		t.Fatalf("softmax head: exit %d: %s", code, stderr)
	}
	if want := "scores: 0/0.7/Gemm_output_0 [1 1000] (input of Softmax node /1/Softmax, whose output prob is a graph output)\n"; !strings.Contains(stdout, want) {
		t.Errorf("softmax head: no line %q in\n%s", want, stdout)
	}
	e = expected["imagenet"]
	checkTop5(t, "softmax head", stdout, e.Top5, e.Probs)

	code, stdout, stderr = runCLI(t, "explain", "--model", model, "--input", pic, "--method", "gradcam", "--class", "tig",
		"--out", t.TempDir())
	want := `camviz: --class: class "tig" is ambiguous: it matches 4 class names as a prefix: "tiger shark" (3), "tiger cat" (282), ` +
		`"tiger" (292), "tiger beetle" (300); give more of the name or the index` + "\n"
	if code != exitUsage || stderr != want || stdout != "" {
		t.Errorf("ambiguous --class: exit %d, stderr %q, stdout %q; want 2 and %q", code, stderr, stdout, want)
	}
}

// writePNG writes an h×w picture of a colour gradient.
func writePNG(t *testing.T, path string, h, w int) {
	t.Helper()
	pic := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			pic.Set(x, y, color.RGBA{uint8(255 * x / w), uint8(255 * y / h), 128, 255})
		}
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, pic); err != nil {
		t.Fatal(err)
	}
}

// labelFile writes a label file and returns its path.
func labelFile(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "labels.txt")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestExplainLabelsTop5ModelA names model A's 10 classes with a JSON label object and
// checks the printed top-5 (names and softmax probabilities) against the softmax, in
// float64, of the logits torch computed for the reference input (logits.npy), the page's
// top-5 and the explained class chosen by name (case-insensitive, unique prefix).
func TestExplainLabelsTop5ModelA(t *testing.T) {
	names := []string{"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"}
	var obj []string
	for i, n := range names {
		obj = append(obj, fmt.Sprintf("%q: %q", strconv.Itoa(i), n))
	}
	file := filepath.Join(t.TempDir(), "labels.json")
	if err := os.WriteFile(file, []byte("{"+strings.Join(obj, ", ")+"}"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	code, stdout, stderr := runCLI(t, "explain", "--model", modelA, "--input", filepath.Join(refDir, "input_nchw.npy"),
		"--method", "gradcam", "--labels", file, "--class", "THR", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	torchLogits := readArray(t, filepath.Join(refDir, "logits.npy")).Data
	hi, sum := math.Inf(-1), 0.0
	for _, v := range torchLogits {
		hi = math.Max(hi, float64(v))
	}
	for _, v := range torchLogits {
		sum += math.Exp(float64(v) - hi)
	}
	order := make([]int, len(torchLogits))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(torchLogits[b], torchLogits[a]) })
	m := topLine.FindStringSubmatch(stdout)
	if m == nil {
		t.Fatalf("no top-5 line in\n%s", stdout)
	}
	parts := strings.Split(m[1], " | ")
	if len(parts) != 5 {
		t.Fatalf("top-5 line %q", m[1])
	}
	for i, p := range parts {
		prob, label, _ := strings.Cut(p, " ")
		c := order[i]
		want := math.Exp(float64(torchLogits[c])-hi) / sum
		v, _ := strconv.ParseFloat(prob, 64)
		if label != fmt.Sprintf("%s (%d)", names[c], c) || math.Abs(v-want) > 1e-3*want {
			t.Errorf("top-%d: %q, want %.4g %s (%d)", i+1, p, want, names[c], c)
		}
	}
	for _, want := range []string{"labels: --labels " + file + "\n", "image 0: predicted seven (7), score 0.0973272; explained three (3)\n",
		"layers: target_activation (default"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("no %q in\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, "preprocessing:") {
		t.Errorf("a .npy input is not preprocessed, but stdout says so:\n%s", stdout)
	}
	page, err := os.ReadFile(filepath.Join(out, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(page), "predicted seven (7)") || !strings.Contains(string(page), "explained three (3); top-5 softmax: ") {
		t.Errorf("index.html does not name the classes")
	}
}

// TestExplainScoreNodeOutput takes model A's pooled features (Flatten_output_0, [1, 64]:
// the spatial means of target_activation) as the class scores with --score: the printed
// top-5 equals the softmax, in float64, of the spatial means of torch's target_activation
// (activations_relu3.npy), and the default layer is still target_activation. --score
// on the [1, 64, 1, 1] pooling output reads it as [1, 64].
func TestExplainScoreNodeOutput(t *testing.T) {
	code, stdout, stderr := runCLI(t, "explain", "--model", modelA, "--input", filepath.Join(refDir, "input_nchw.npy"),
		"--method", "gradcam", "--score", "/Flatten_output_0", "--class", "5", "--out", t.TempDir())
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	acts := readArray(t, filepath.Join(refDir, "activations_relu3.npy"))
	if !slices.Equal(acts.Shape, []int{1, 64, 16, 16}) {
		t.Fatalf("activations_relu3.npy is %v", acts.Shape)
	}
	means := make([]float64, 64)
	for c := range means {
		for _, v := range acts.Data[c*256 : (c+1)*256] {
			means[c] += float64(v) / 256
		}
	}
	hi, sum := slices.Max(means), 0.0
	for _, v := range means {
		sum += math.Exp(v - hi)
	}
	order := make([]int, 64)
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(means[b], means[a]) })
	m := topLine.FindStringSubmatch(stdout)
	if m == nil {
		t.Fatalf("no top-5 line in\n%s", stdout)
	}
	for i, p := range strings.Split(m[1], " | ") {
		prob, label, _ := strings.Cut(p, " ")
		c := order[i]
		want := math.Exp(means[c]-hi) / sum
		v, _ := strconv.ParseFloat(prob, 64)
		if label != fmt.Sprintf("class %d", c) || math.Abs(v-want) > 1e-3*want {
			t.Errorf("top-%d: %q, want %.4g class %d", i+1, p, want, c)
		}
	}
	for _, want := range []string{"scores: Flatten_output_0 [1 64] (output of Flatten node /Flatten)\n",
		"layers: target_activation (default", "; explained class 5\n"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("no %q in\n%s", want, stdout)
		}
	}

	code, stdout, stderr = runCLI(t, "layers", "--model", modelA, "--score", "gap/GlobalAveragePool_output_0")
	if code != 0 {
		t.Fatalf("layers: exit %d: %s", code, stderr)
	}
	if want := "scores: gap/GlobalAveragePool_output_0 [1 64 1 1] squeezed to [1 64] (output of GlobalAveragePool node /gap/GlobalAveragePool)\n"; !strings.Contains(stdout, want) {
		t.Errorf("layers: no %q in\n%s", want, stdout)
	}
}

// TestExplainModelStatedInput runs the WinML-style legacy fixture (metadata
// Image.BitmapPixelFormat=Bgr8 and NominalRange_0_255, an ImageScaler, a Sigmoid head and
// ZipMap string labels) on a 6×6 PNG: the command applies what the model states (BGR,
// 0–255) and says so, names the classes with the model's own labels, takes the Sigmoid's
// input as the scores and a label as --class; the printed top classes equal those of the
// same picture given as a .npy array built by hand in BGR order at 0–255.
func TestExplainModelStatedInput(t *testing.T) {
	model := "../../../testdata/onnx-legacy/zipmap_labels_opset8.onnx"
	dir := t.TempDir()
	pic := image.NewRGBA(image.Rect(0, 0, 6, 6))
	var rgb [6][6][3]uint8
	for y := range 6 {
		for x := range 6 {
			rgb[y][x] = [3]uint8{uint8(7 * (6*y + x)), 200, uint8(40 * x)}
			pic.Set(x, y, color.RGBA{rgb[y][x][0], rgb[y][x][1], rgb[y][x][2], 255})
		}
	}
	pngPath := filepath.Join(dir, "p.png")
	f, err := os.Create(pngPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := png.Encode(f, pic); err != nil {
		t.Fatal(err)
	}
	f.Close()
	nchw := make([]float32, 3*36)
	for k := range 3 {
		for y := range 6 {
			for x := range 6 {
				nchw[k*36+y*6+x] = float32(rgb[y][x][2-k]) // B, G, R at 0–255
			}
		}
	}
	npyPath := filepath.Join(dir, "p.npy")
	if err := npy.WriteFile(npyPath, []int{1, 3, 6, 6}, nchw); err != nil {
		t.Fatal(err)
	}

	code, stdout, stderr := runCLI(t, "explain", "--model", model, "--input", pngPath, "--class", "GOLD", "--out", t.TempDir())
	if code != 0 {
		t.Fatalf("picture: exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		"labels: carried by the model\n",
		"scores: logits [1 4] (input of Sigmoid node sigmoid, whose output prob is a graph output)\n",
		"preprocessing: 6×6 (fixed by the model), BGR (stated by the model), range 0-255 (stated by the model), " +
			"mean [0 0 0] (default), std [1 1 1] (default); the model states: metadata Image.BitmapPixelFormat=Bgr8; " +
			"metadata Image.NominalPixelRange=NominalRange_0_255;",
		"; explained goldfish (1)\n",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("picture: no %q in\n%s", want, stdout)
		}
	}
	code, npyOut, stderr := runCLI(t, "explain", "--model", model, "--input", npyPath, "--class", "1", "--out", t.TempDir())
	if code != 0 {
		t.Fatalf(".npy: exit %d: %s", code, stderr)
	}
	picTop, npyTop := topLine.FindStringSubmatch(stdout), topLine.FindStringSubmatch(npyOut)
	if picTop == nil || npyTop == nil || picTop[1] != npyTop[1] {
		t.Errorf("the picture's top classes %q differ from the hand-built BGR 0-255 array's %q", picTop, npyTop)
	}
	// Overriding the model: --bgr=false --range 0-1 changes the input, so the scores.
	code, rgbOut, _ := runCLI(t, "explain", "--model", model, "--input", pngPath, "--bgr=false", "--range", "0-1", "--out", t.TempDir())
	if code != 0 || !strings.Contains(rgbOut, "RGB (--bgr), range 0-1 (--range)") {
		t.Errorf("override: exit %d:\n%s", code, rgbOut)
	}
	if m := topLine.FindStringSubmatch(rgbOut); m == nil || m[1] == picTop[1] {
		t.Errorf("RGB 0-1 input gives the same top classes as BGR 0-255: %q", m)
	}
}
