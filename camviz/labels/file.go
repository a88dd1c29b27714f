package labels

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// ReadFile reads class names from a file in one of three forms, told apart by the first
// non-blank character:
//
//   - '[': a JSON list of strings, class i is element i: ["cat", "dog"];
//   - '{': a JSON object from class index to name, {"0": "cat", "1": "dog"}, whose keys
//     must be exactly 0 … n-1 (in any order);
//   - anything else: plain text, one name per line (class i is line i+1); a trailing
//     "\r" and surrounding spaces are trimmed, and a final empty line is ignored.
//
// Empty names and duplicate names are errors: every class must be nameable and a name
// must pick one class.
func ReadFile(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("labels: %w", err)
	}
	names, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("labels: %s: %w", path, err)
	}
	return names, nil
}

// Parse reads class names from the contents of a label file; see [ReadFile].
func Parse(data []byte) ([]string, error) {
	trimmed := bytes.TrimSpace(bytes.TrimPrefix(data, []byte("\uFEFF")))
	var names []string
	switch {
	case len(trimmed) == 0:
		return nil, fmt.Errorf("no class names: the file is empty")
	case trimmed[0] == '[':
		if err := json.Unmarshal(trimmed, &names); err != nil {
			return nil, fmt.Errorf("not a JSON list of strings: %w", err)
		}
	case trimmed[0] == '{':
		var byIndex map[string]string
		if err := json.Unmarshal(trimmed, &byIndex); err != nil {
			return nil, fmt.Errorf("not a JSON object of index → name strings: %w", err)
		}
		names = make([]string, len(byIndex))
		for k, v := range byIndex {
			i, err := strconv.Atoi(strings.TrimSpace(k))
			if err != nil || i < 0 || i >= len(byIndex) {
				return nil, fmt.Errorf("key %q: the keys of a JSON label object must be the class indices 0 … %d", k, len(byIndex)-1)
			}
			names[i] = v // keys are distinct integers in [0, n): every index is set once
		}
	default:
		lines := strings.Split(strings.TrimSuffix(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n"), "\n")
		for _, l := range lines {
			names = append(names, strings.TrimSpace(l))
		}
	}
	return names, check(names)
}

// check rejects empty and duplicate names.
func check(names []string) error {
	if len(names) == 0 {
		return fmt.Errorf("no class names")
	}
	seen := map[string]int{}
	for i, n := range names {
		if strings.TrimSpace(n) == "" {
			return fmt.Errorf("class %d has an empty name", i)
		}
		if j, dup := seen[n]; dup {
			return fmt.Errorf("classes %d and %d are both named %q", j, i, n)
		}
		seen[n] = i
	}
	return nil
}
