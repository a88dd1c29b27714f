package models

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/gomlx/gomlx/ml/model/checkpoint"
)

// specFile is the name of the spec saved next to the checkpoint.
const specFile = "model.json"

// Save writes the model to dir: model.json (the Spec) and a GoMLX checkpoint of the
// variables. Only the model's variables are kept (optimizer state is dropped; GoMLX's
// checkpoint handler adds the scalar /global_step itself), so the files stay small.
func (m *Model) Save(dir string) error {
	if m.onnx != nil {
		return fmt.Errorf("models: %s models are kept as their .onnx file; Save writes zoo models only", ONNXArch)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("models: %w", err)
	}
	spec, err := json.MarshalIndent(m.Spec, "", "  ")
	if err != nil {
		return fmt.Errorf("models: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, specFile), append(spec, '\n'), 0o644); err != nil {
		return fmt.Errorf("models: %w", err)
	}
	clone, err := m.Store.Clone()
	if err != nil {
		return fmt.Errorf("models: %w", err)
	}
	for v := range m.Store.IterVariables() {
		if !isModelVariable(v.Path()) {
			if err := clone.DeleteVariable(v.Path()); err != nil {
				return fmt.Errorf("models: %w", err)
			}
		}
	}
	h, err := checkpoint.Build(clone).Dir(dir).Keep(1).ExcludeAllParams().Immediate().Done()
	if err != nil {
		return fmt.Errorf("models: saving checkpoint in %s: %w", dir, err)
	}
	if err := h.Save(); err != nil {
		return fmt.Errorf("models: saving checkpoint in %s: %w", dir, err)
	}
	return nil
}

// Load reads a model saved with Save: model.json for the architecture and the latest
// checkpoint in dir for the weights.
func Load(dir string) (*Model, error) {
	raw, err := os.ReadFile(filepath.Join(dir, specFile))
	if err != nil {
		return nil, fmt.Errorf("models: %s is not a camviz model folder (no %s): %w", dir, specFile, err)
	}
	var spec Spec
	if err := json.Unmarshal(raw, &spec); err != nil {
		return nil, fmt.Errorf("models: reading %s: %w", filepath.Join(dir, specFile), err)
	}
	m, err := New(spec)
	if err != nil {
		return nil, err
	}
	h, err := checkpoint.Load(m.Store).Dir(dir).Immediate().Done()
	if err != nil {
		return nil, fmt.Errorf("models: loading the checkpoint in %s: %w", dir, err)
	}
	if ok, err := h.HasCheckpoints(); err != nil || !ok {
		return nil, fmt.Errorf("models: %s has %s but no checkpoint: train and Save the model first", dir, specFile)
	}
	return m, nil
}

// isModelVariable keeps the model's own weights and drops the optimizer's state and the
// training bookkeeping: top-level scopes whose name contains "optimizer" (any case;
// GoMLX's Adam keeps its moments under "/AdamOptimizer"), "/global_step", "/train…",
// "/metrics…" and the store's "#…" variables (its random-number state).
func isModelVariable(path string) bool {
	top, _, _ := strings.Cut(strings.TrimPrefix(path, "/"), "/")
	top = strings.ToLower(top)
	switch {
	case strings.Contains(top, "optimizer"), top == "global_step", strings.HasPrefix(top, "train"),
		strings.HasPrefix(top, "metrics"), strings.HasPrefix(top, "#"):
		return false
	}
	return true
}
