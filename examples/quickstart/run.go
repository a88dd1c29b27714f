package main

import (
	"fmt"
	"image"
	"image/color"
	"io"
	"os"
	"path/filepath"

	"github.com/camviz/camviz/camviz"
	"github.com/camviz/camviz/camviz/backends"
	"github.com/camviz/camviz/camviz/datasets"
	"github.com/camviz/camviz/camviz/heatmap"
	"github.com/camviz/camviz/camviz/metrics"
	"github.com/camviz/camviz/camviz/models"
	"github.com/gomlx/compute"
)

type config struct {
	out, modelDir, saveDir string
	train                  bool
	steps, n, show         int
	tau                    float64
}

// Seeds of the synthetic splits: training images come from seed 1, held-out ones from 2.
const (
	trainSeed   = 1
	heldOutSeed = 2
	trainImages = 3000
)

func run(cfg config, w io.Writer) error {
	if cfg.n < 1 || cfg.show < 0 || cfg.tau <= 0 || cfg.tau >= 1 {
		return fmt.Errorf("need -n ≥ 1, -show ≥ 0 and 0 < -tau < 1")
	}
	backend, err := backends.New()
	if err != nil {
		return err
	}
	fmt.Fprintln(w, "backend:", backends.Describe(backend))
	m, err := getModel(cfg, backend, w)
	if err != nil {
		return err
	}
	dcfg := datasets.DefaultSyntheticConfig()
	dcfg.Seed = heldOutSeed
	test, err := datasets.Synthetic(dcfg, cfg.n)
	if err != nil {
		return err
	}
	last := m.Layers[len(m.Layers)-1]
	ex, err := m.Explainer(backend, []string{last}, camviz.MethodCAM, camviz.MethodGradCAM)
	if err != nil {
		return err
	}
	ev, err := explainAll(ex, test, last, cfg.tau)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "held-out accuracy: %.1f%% of %d images\n", 100*ev.accuracy(), len(test))
	fmt.Fprintf(w, "localization (CAM box at τ=%.2f, IoU ≥ 0.5 with the true box): %.1f%% (Grad-CAM %.1f%%)\n",
		cfg.tau, 100*ev.hitRate(camviz.MethodCAM), 100*ev.hitRate(camviz.MethodGradCAM))
	bestTau, bestRate := bestThreshold(ev.finals[camviz.MethodCAM], test)
	fmt.Fprintf(w, "best threshold for CAM over τ = 0.05…0.95: %.1f%% at τ=%.2f (a MaxBoxAcc-style optimum; see camviz/metrics)\n",
		100*bestRate, bestTau)
	page, err := writeReport(cfg, m, test, ev)
	if err != nil {
		return err
	}
	fmt.Fprintln(w, "report:", page)
	return nil
}

// getModel loads the shipped checkpoint, or trains a GAP-CNN when asked (or when the
// checkpoint is missing).
func getModel(cfg config, backend compute.Backend, w io.Writer) (*models.Model, error) {
	if !cfg.train {
		var m *models.Model
		var err error
		if cfg.modelDir == "" {
			m, err = models.LoadShipped("gapcnn")
		} else {
			m, err = models.Load(cfg.modelDir)
		}
		if err == nil {
			fmt.Fprintf(w, "model: %s %v, loaded\n", m.Spec.Arch, m.Spec.Channels)
			return m, nil
		}
		fmt.Fprintf(w, "no model to load (%v); training one\n", err)
	}
	dcfg := datasets.DefaultSyntheticConfig()
	dcfg.Seed = trainSeed
	train, err := datasets.Synthetic(dcfg, trainImages)
	if err != nil {
		return nil, err
	}
	spec := models.GAPCNNSpec(dcfg.Size, dcfg.Size, 3, dcfg.NumClasses)
	spec.ClassNames = datasets.SyntheticClassNames(dcfg.NumClasses)
	m, err := models.New(spec)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(w, "training a GAP-CNN on %d synthetic images (%d steps)\n", len(train), cfg.steps)
	rep, err := m.Train(backend, train, models.TrainConfig{Steps: cfg.steps})
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(w, "trained in %.1fs, last loss %.3f\n", rep.Duration.Seconds(), rep.Loss)
	if cfg.saveDir != "" {
		if err := m.Save(cfg.saveDir); err != nil {
			return nil, err
		}
		fmt.Fprintln(w, "saved to", cfg.saveDir)
	}
	return m, nil
}

// evaluation holds, per image, the predicted class, the final maps and their boxes.
type evaluation struct {
	correct []bool
	finals  map[camviz.Method][]*heatmap.Map
	boxes   map[camviz.Method][]image.Rectangle
	hits    map[camviz.Method][]bool
	classes []int
}

func (e *evaluation) accuracy() float64 { return share(e.correct) }

func (e *evaluation) hitRate(m camviz.Method) float64 { return share(e.hits[m]) }

func share(v []bool) float64 {
	n := 0
	for _, b := range v {
		if b {
			n++
		}
	}
	return float64(n) / float64(len(v))
}

// explainAll explains the images in batches of 32 for the predicted class (argmax), and
// boxes each final map: the largest connected region above tau of the normalised map.
func explainAll(ex *camviz.Explainer, test []datasets.Example, layer string, tau float64) (*evaluation, error) {
	ev := &evaluation{finals: map[camviz.Method][]*heatmap.Map{}, boxes: map[camviz.Method][]image.Rectangle{},
		hits: map[camviz.Method][]bool{}}
	methods := ex.Config().Methods
	for start := 0; start < len(test); start += 32 {
		batch := test[start:min(start+32, len(test))]
		images, labels, err := datasets.Stack(batch)
		if err != nil {
			return nil, err
		}
		e0 := batch[0]
		res, err := ex.ExplainFloats(images, []int{len(batch), e0.H, e0.W, 3}, camviz.ArgmaxTarget())
		if err != nil {
			return nil, err
		}
		for i, c := range res.Classes {
			ev.correct = append(ev.correct, c == int(labels[i]))
			ev.classes = append(ev.classes, c)
		}
		for _, m := range methods {
			finals, err := res.Final(layer, m)
			if err != nil {
				return nil, err
			}
			for i, f := range finals {
				box := image.Rectangle{}
				if bs := metrics.BoxesFromMap(f, float32(tau), false); len(bs) > 0 {
					box = bs[0]
				}
				ev.finals[m] = append(ev.finals[m], f)
				ev.boxes[m] = append(ev.boxes[m], box)
				ev.hits[m] = append(ev.hits[m], metrics.IoU(box, batch[i].Box) >= 0.5)
			}
		}
	}
	return ev, nil
}

// bestThreshold sweeps τ = 0.05, 0.10, …, 0.95 and returns the τ with the largest share of
// images whose largest-region box has IoU ≥ 0.5 (MaxBoxAcc's δ = 0.5, on a coarse grid).
func bestThreshold(finals []*heatmap.Map, test []datasets.Example) (tau, rate float64) {
	for step := 1; step <= 19; step++ {
		t := float64(step) * 0.05
		hits := 0
		for i, f := range finals {
			if bs := metrics.BoxesFromMap(f, float32(t), false); len(bs) > 0 && metrics.IoU(bs[0], test[i].Box) >= 0.5 {
				hits++
			}
		}
		if r := float64(hits) / float64(len(finals)); r > rate {
			tau, rate = t, r
		}
	}
	return tau, rate
}

var (
	green = color.RGBA{0, 220, 0, 255}
	white = color.RGBA{255, 255, 255, 255}
)

// writeReport writes one overlay PNG per shown image and method (true box green, map box
// white), the grid, and index.html.
func writeReport(cfg config, m *models.Model, test []datasets.Example, ev *evaluation) (string, error) {
	if err := os.MkdirAll(cfg.out, 0o755); err != nil {
		return "", err
	}
	methods := []camviz.Method{camviz.MethodCAM, camviz.MethodGradCAM}
	n := min(cfg.show, len(test))
	grid := &heatmap.Grid{Title: "CAM and Grad-CAM on held-out images (green: true box, white: map box)",
		ColLabels: []string{"image"}, CellSize: 160}
	for _, meth := range methods {
		grid.ColLabels = append(grid.ColLabels, string(meth))
	}
	var rows []reportRow
	for i := 0; i < n; i++ {
		e := test[i]
		img, err := heatmap.ImageFromHWC(e.H, e.W, 3, e.Image, 0, 1)
		if err != nil {
			return "", err
		}
		row := []image.Image{img}
		rr := reportRow{label: fmt.Sprintf("#%d %s -> %s", i, m.ClassName(e.Label), m.ClassName(ev.classes[i]))}
		for _, meth := range methods {
			ov, err := heatmap.Overlay(img, ev.finals[meth][i], heatmap.Jet, 0.5)
			if err != nil {
				return "", err
			}
			heatmap.DrawBox(ov, e.Box, green, 1)
			heatmap.DrawBox(ov, ev.boxes[meth][i], white, 1)
			name := fmt.Sprintf("%03d_%s.png", i, meth)
			if err := writePNG(filepath.Join(cfg.out, name), ov); err != nil {
				return "", err
			}
			row = append(row, ov)
			rr.files = append(rr.files, name)
			rr.ious = append(rr.ious, metrics.IoU(ev.boxes[meth][i], e.Box))
		}
		grid.Cells = append(grid.Cells, row)
		grid.RowLabels = append(grid.RowLabels, rr.label)
		rows = append(rows, rr)
	}
	gridImg, err := grid.Render()
	if err != nil {
		return "", err
	}
	if err := writePNG(filepath.Join(cfg.out, "grid.png"), gridImg); err != nil {
		return "", err
	}
	page := filepath.Join(cfg.out, "index.html")
	return page, os.WriteFile(page, []byte(reportHTML(cfg, ev, methods, rows)), 0o644)
}

func writePNG(path string, img image.Image) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := heatmap.EncodePNG(f, img); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
