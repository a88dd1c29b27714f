package datasets

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// FashionMNISTDebianDir is where the Debian package dataset-fashion-mnist installs
// the four IDX files (apt-get install dataset-fashion-mnist).
const FashionMNISTDebianDir = "/usr/share/datasets/fashion-mnist"

// FashionMNISTEnv names an environment variable that, when set, is the first folder
// LoadFashionMNIST searches when called with dir == "".
const FashionMNISTEnv = "CAMVIZ_FASHION_MNIST"

// FashionMNISTSide is the side of a Fashion-MNIST image in pixels.
const FashionMNISTSide = 28

// FashionMNISTClassNames are the 10 Fashion-MNIST labels in label order
// (Xiao, Rasul and Vollgraf 2017).
var FashionMNISTClassNames = []string{
	"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
	"Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
}

// LoadFashionMNIST reads split "train" (60000 images) or "t10k" (10000) of
// Fashion-MNIST: 28×28 grey images (row-major, 0 = background, 255 = brightest) and
// labels in [0,9] (names in FashionMNISTClassNames). limit > 0 keeps only the first
// limit examples (and reads no further).
//
// The files are <split>-images-idx3-ubyte and <split>-labels-idx1-ubyte, each gzip
// compressed (".gz") or plain. With dir == "" it searches $CAMVIZ_FASHION_MNIST and
// then FashionMNISTDebianDir; the error lists the folders tried and how to install
// the data. testdata/fashion-mnist in the camviz repository holds the first 200
// images of "t10k".
func LoadFashionMNIST(dir, split string, limit int) (images [][]uint8, labels []uint8, err error) {
	if split != "train" && split != "t10k" {
		return nil, nil, fmt.Errorf("datasets.LoadFashionMNIST: split %q, want \"train\" or \"t10k\"", split)
	}
	dirs := []string{dir}
	if dir == "" {
		dirs = nil
		if env := os.Getenv(FashionMNISTEnv); env != "" {
			dirs = append(dirs, env)
		}
		dirs = append(dirs, FashionMNISTDebianDir)
	}
	var tried []string
	for _, d := range dirs {
		imgPath, e1 := findIDX(d, split+"-images-idx3-ubyte")
		labPath, e2 := findIDX(d, split+"-labels-idx1-ubyte")
		if e1 == nil && e2 == nil {
			return loadFashionFiles(imgPath, labPath, limit)
		}
		tried = append(tried, d)
	}
	return nil, nil, fmt.Errorf("datasets.LoadFashionMNIST: no %s-images-idx3-ubyte[.gz] and "+
		"%s-labels-idx1-ubyte[.gz] in %s; install them with `apt-get install dataset-fashion-mnist` "+
		"(Debian/Ubuntu, into %s), or download them from https://github.com/zalandoresearch/fashion-mnist "+
		"and pass their folder (or set $%s)",
		split, split, strings.Join(tried, ", "), FashionMNISTDebianDir, FashionMNISTEnv)
}

// findIDX returns dir/name.gz or dir/name, whichever exists first.
func findIDX(dir, name string) (string, error) {
	for _, p := range []string{filepath.Join(dir, name+".gz"), filepath.Join(dir, name)} {
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p, nil
		}
	}
	return "", fs.ErrNotExist
}

func readIDXFile(path string, limit int) (*IDX, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	idx, err := ReadIDX(f, limit)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return idx, nil
}

func loadFashionFiles(imgPath, labPath string, limit int) ([][]uint8, []uint8, error) {
	imgs, err := readIDXFile(imgPath, limit)
	if err != nil {
		return nil, nil, err
	}
	labs, err := readIDXFile(labPath, limit)
	if err != nil {
		return nil, nil, err
	}
	if len(imgs.Dims) != 3 || imgs.Dims[1] != FashionMNISTSide || imgs.Dims[2] != FashionMNISTSide {
		return nil, nil, fmt.Errorf("%s: image array has dims %v, want [N 28 28]", imgPath, imgs.Dims)
	}
	if len(labs.Dims) != 1 || labs.Dims[0] != imgs.Dims[0] {
		return nil, nil, fmt.Errorf("%s: label array has dims %v, want [%d] to match %s",
			labPath, labs.Dims, imgs.Dims[0], imgPath)
	}
	for i, l := range labs.Data {
		if int(l) >= len(FashionMNISTClassNames) {
			return nil, nil, fmt.Errorf("%s: label %d of example %d is out of [0, 9]", labPath, l, i)
		}
	}
	const px = FashionMNISTSide * FashionMNISTSide
	images := make([][]uint8, imgs.Dims[0])
	for i := range images {
		images[i] = imgs.Data[i*px : (i+1)*px : (i+1)*px]
	}
	return images, labs.Data, nil
}
