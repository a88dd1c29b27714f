package main

import (
	"fmt"
	"strings"

	"github.com/camviz/camviz/camviz/datasets"
	"github.com/camviz/camviz/camviz/evaluate"
)

// Options are the pipeline options: what to evaluate and where the model, the images
// and the outputs are. They travel to the workers inside the DoFns (Beam encodes a
// DoFn's exported fields as JSON), so they hold only strings and numbers; every worker
// rebuilds the evaluate.Config from them.
type Options struct {
	Model        string  `json:"model"`         // camviz model folder, .onnx file, or shipped model name
	WSOLMetadata string  `json:"wsol_metadata"` // wsolevaluation's metadata folder
	Images       string  `json:"images"`        // image root
	Masks        string  `json:"masks"`         // OpenImages mask root ("" = Images)
	Dataset      string  `json:"dataset"`       // CUB, ILSVRC or OpenImages
	Split        string  `json:"split"`         // test or train-fullsup
	N            int     `json:"n"`             // first N images; 0 = all
	Methods      string  `json:"methods"`       // comma-separated, or "all"
	Layers       string  `json:"layers"`        // comma-separated; "" = the model's last block
	Metrics      string  `json:"metrics"`       // comma-separated, "default", "all", "localization"
	Target       string  `json:"target"`        // label or predicted
	TauStep      float64 `json:"tau_step"`
	Batch        int     `json:"batch"` // images per explanation batch = per shard
	CausalSteps  int     `json:"causal_steps"`
	Tolerance    int     `json:"pointing_tolerance"`
	Seed         uint64  `json:"seed"`
	Out          string  `json:"out"`  // report folder (a path every worker that writes sees)
	Maps         string  `json:"maps"` // "", "npy", "png" or "npy,png": also write the maps under Out/maps
}

// check validates the options that do not need the model.
func (o Options) check() error {
	if o.Model == "" || o.WSOLMetadata == "" || o.Images == "" || o.Dataset == "" || o.Out == "" {
		return fmt.Errorf("-model, -wsol-metadata, -images, -dataset and -out are required")
	}
	if _, err := datasets.WSOLSplitFolder(o.Split); err != nil {
		return err
	}
	if o.Batch <= 0 || o.N < 0 {
		return fmt.Errorf("-batch %d must be positive and -n %d not negative", o.Batch, o.N)
	}
	for _, f := range splitList(o.Maps) {
		if f != "npy" && f != "png" {
			return fmt.Errorf("-maps %q: use npy, png or npy,png", o.Maps)
		}
	}
	return nil
}

// config is the evaluate.Config of the options, as the evaluate command builds it
// (for the box datasets the default columns leave PxAP out).
func (o Options) config() (evaluate.Config, error) {
	cfg := evaluate.Config{TauStep: o.TauStep, BatchSize: o.Batch, CausalSteps: o.CausalSteps,
		PointingTolerance: o.Tolerance, Seed: o.Seed, Layers: splitList(o.Layers)}
	var err error
	if cfg.Methods, err = evaluate.ParseMethods(o.Methods); err != nil {
		return cfg, err
	}
	if cfg.Metrics, err = evaluate.ParseMetrics(o.Metrics); err != nil {
		return cfg, err
	}
	if strings.EqualFold(strings.TrimSpace(o.Metrics), "default") || strings.TrimSpace(o.Metrics) == "" {
		cfg.Metrics = evaluate.WSOLDefaultMetrics(o.Dataset)
	}
	target := o.Target
	if target == "" {
		target = "label"
	}
	if cfg.Target, err = evaluate.ParseTarget(target); err != nil {
		return cfg, fmt.Errorf("-%v", err)
	}
	return cfg, nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
