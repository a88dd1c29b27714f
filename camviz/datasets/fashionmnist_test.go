package datasets

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"testing"
)

const fashionTestdata = "../../testdata/fashion-mnist"

// TestLoadFashionMNISTSubset reads the shipped subset: the first labels of the
// Fashion-MNIST test split are 9, 2, 1, 1, 6, and the image bytes hash to the value
// computed from the Debian package's t10k-images-idx3-ubyte.gz (first 200 images).
func TestLoadFashionMNISTSubset(t *testing.T) {
	images, labels, err := LoadFashionMNIST(fashionTestdata, "t10k", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(images) != 200 || len(labels) != 200 {
		t.Fatalf("got %d images and %d labels, want 200", len(images), len(labels))
	}
	if want := []uint8{9, 2, 1, 1, 6, 1, 4, 6, 5, 7}; !slices.Equal(labels[:10], want) {
		t.Errorf("first labels %v, want %v", labels[:10], want)
	}
	sum := sha256.Sum256(slices.Concat(images...))
	if got := hex.EncodeToString(sum[:]); got != "1ea26a8badf5cf72eae232eee0644a812949e1c7b446e2068cc48b15796a4802" {
		t.Errorf("image bytes SHA-256 %s differs from the Debian package's first 200 test images", got)
	}
	for i, img := range images {
		if len(img) != 28*28 {
			t.Fatalf("image %d has %d pixels", i, len(img))
		}
	}
	if FashionMNISTClassNames[labels[0]] != "Ankle boot" {
		t.Errorf("class of label 9 = %q", FashionMNISTClassNames[9])
	}
	images, labels, err = LoadFashionMNIST(fashionTestdata, "t10k", 3)
	if err != nil || len(images) != 3 || !slices.Equal(labels, []uint8{9, 2, 1}) {
		t.Errorf("limit 3: %d images, labels %v, %v", len(images), labels, err)
	}
	// dir == "" searches $CAMVIZ_FASHION_MNIST first.
	t.Setenv(FashionMNISTEnv, fashionTestdata)
	if _, labels, err = LoadFashionMNIST("", "t10k", 2); err != nil || !slices.Equal(labels, []uint8{9, 2}) {
		t.Errorf("via $%s: labels %v, %v", FashionMNISTEnv, labels, err)
	}
}

func TestLoadFashionMNISTErrors(t *testing.T) {
	dir := t.TempDir()
	_, _, err := LoadFashionMNIST(dir, "train", 0)
	if err == nil || !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), "apt-get install dataset-fashion-mnist") {
		t.Errorf("missing files: error %v, want one naming %s and the install command", err, dir)
	}
	if _, _, err := LoadFashionMNIST(fashionTestdata, "test", 0); err == nil || !strings.Contains(err.Error(), `"t10k"`) {
		t.Errorf("bad split: error %v", err)
	}
}

func TestLoadFashionMNISTBadShape(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir+"/t10k-images-idx3-ubyte", tinyIDX)
	writeFile(t, dir+"/t10k-labels-idx1-ubyte.gz", gz(t, []byte{0, 0, 8, 1, 0, 0, 0, 2, 3, 4}))
	if _, _, err := LoadFashionMNIST(dir, "t10k", 0); err == nil || !strings.Contains(err.Error(), "want [N 28 28]") {
		t.Errorf("2x3 images: error %v, want one about the [N 28 28] shape", err)
	}
}
