package models

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"sort"
	"strings"

	"github.com/gomlx/gomlx/ml/model/checkpoint"
)

// LoadFS reads a model saved with Save from a file system holding the folder's files at
// its root (an embed.FS sub-tree, os.DirFS, a zip): model.json for the architecture and
// the latest checkpoint (the last checkpoint-*.json by name, with its .bin) for the
// weights. Load reads a folder on disk; LoadFS needs no disk, which is how the models
// embedded in camviz/models/shipped are read.
func LoadFS(fsys fs.FS) (*Model, error) {
	raw, err := fs.ReadFile(fsys, specFile)
	if err != nil {
		return nil, fmt.Errorf("models: not a camviz model folder (no %s): %w", specFile, err)
	}
	var spec Spec
	if err := json.Unmarshal(raw, &spec); err != nil {
		return nil, fmt.Errorf("models: reading %s: %w", specFile, err)
	}
	jsonFiles, err := fs.Glob(fsys, "checkpoint-*.json")
	if err != nil || len(jsonFiles) == 0 {
		return nil, fmt.Errorf("models: the folder has %s but no checkpoint-*.json: train and Save the model first", specFile)
	}
	sort.Strings(jsonFiles)
	last := jsonFiles[len(jsonFiles)-1]
	vars, err := fs.ReadFile(fsys, last)
	if err != nil {
		return nil, fmt.Errorf("models: %w", err)
	}
	binName := strings.TrimSuffix(last, ".json") + ".bin"
	bin, err := fs.ReadFile(fsys, binName)
	if err != nil {
		return nil, fmt.Errorf("models: checkpoint %s has no %s: %w", last, binName, err)
	}
	m, err := New(spec)
	if err != nil {
		return nil, err
	}
	if _, err := checkpoint.Load(m.Store).FromEmbed(string(vars), bin).Immediate().Done(); err != nil {
		return nil, fmt.Errorf("models: loading checkpoint %s: %w", last, err)
	}
	return m, nil
}
