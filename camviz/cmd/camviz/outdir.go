package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// maxFolderName bounds a layer's folder name (file systems allow 255 bytes; a map's
// file name is added inside it).
const maxFolderName = 96

// reservedNames are the entries of --out that are not layer folders.
var reservedNames = map[string]bool{multiLayerDir: true, "index.html": true}

// layerFolders maps each layer name to a folder name inside --out that is safe and
// unique: characters outside [A-Za-z0-9._-] become "_" (so no "/", NUL or absolute
// path survives), names made only of dots or starting with one get a "layer" prefix
// (no "..", no hidden folders), names of the page's own entries (multilayer,
// index.html) and names that collide with another layer's folder (also when only the
// case differs) get a "-2", "-3", … suffix, and names longer than maxFolderName bytes
// are cut and end with a hash of the full name. notes says, for every layer whose
// folder is not its name, where it goes.
func layerFolders(layers []string) (folders map[string]string, notes []string) {
	folders = map[string]string{}
	used := map[string]bool{}
	for name := range reservedNames {
		used[strings.ToLower(name)] = true
	}
	for _, l := range layers {
		if _, done := folders[l]; done {
			continue
		}
		base := safeName(l)
		if base == "" || strings.HasPrefix(base, ".") {
			base = "layer" + base
		}
		if len(base) > maxFolderName {
			sum := sha256.Sum256([]byte(l))
			base = base[:maxFolderName-17] + "-" + hex.EncodeToString(sum[:8])
		}
		name := base
		for i := 2; used[strings.ToLower(name)]; i++ {
			name = fmt.Sprintf("%s-%d", base, i)
		}
		used[strings.ToLower(name)] = true
		folders[l] = name
		if name != l {
			notes = append(notes, fmt.Sprintf("layer %q is written to folder %q", l, name))
		}
	}
	return folders, notes
}

// prepareOut checks, before anything is computed, that --out is a folder camviz can
// write to, without creating it (a run that fails before writing leaves nothing
// behind): an existing --out must be a folder where a probe file can be written and
// removed; a missing one must have a nearest existing parent that is such a folder.
// It removes an index.html left by an earlier run, so that a run that fails later
// leaves no page that claims success. Any failure is a usage error naming the folder.
func prepareOut(dir string) error {
	info, err := os.Stat(dir)
	switch {
	case err == nil && !info.IsDir():
		return usagef("--out %s is a file, not a folder: give a folder to write the maps to", dir)
	case err == nil:
		if err := probeWrite(dir); err != nil {
			return usagef("--out %s: the folder is not writable: %v", dir, rootCause(err))
		}
		if err := os.Remove(filepath.Join(dir, "index.html")); err != nil && !os.IsNotExist(err) {
			return usagef("--out %s: cannot replace the index.html of an earlier run: %v", dir, rootCause(err))
		}
		return nil
	case !os.IsNotExist(err):
		return usagef("--out %s: %v", dir, rootCause(err))
	}
	parent := filepath.Dir(filepath.Clean(dir))
	for {
		info, err := os.Stat(parent)
		if err == nil {
			if !info.IsDir() {
				return usagef("--out %s: cannot create the folder: %s is a file", dir, parent)
			}
			break
		}
		if !os.IsNotExist(err) || parent == filepath.Dir(parent) {
			return usagef("--out %s: cannot create the folder: %v", dir, rootCause(err))
		}
		parent = filepath.Dir(parent)
	}
	if err := probeWrite(parent); err != nil {
		return usagef("--out %s: cannot create the folder: %v", dir, rootCause(err))
	}
	return nil
}

// probeWrite writes and removes a small file in dir.
func probeWrite(dir string) error {
	probe, err := os.CreateTemp(dir, ".camviz-write-check-*")
	if err != nil {
		return err
	}
	name := probe.Name()
	_, werr := probe.Write([]byte("camviz"))
	cerr := probe.Close()
	os.Remove(name)
	return firstErr(werr, cerr)
}

// writeFileAtomic writes data to a temporary file next to path and renames it into
// place, so path is either absent, the previous file or the complete new one.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	_, werr := tmp.Write(data)
	cerr := tmp.Close()
	if err := firstErr(werr, cerr); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return nil
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// rootCause drops the "op path:" prefix of a *os.PathError, whose path the message
// already names.
func rootCause(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}
