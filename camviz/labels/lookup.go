package labels

import (
	"fmt"
	"strconv"
	"strings"
)

// maxCandidates bounds the names listed in an ambiguity error.
const maxCandidates = 12

// Lookup finds the class a user names: an index ("281"), or a name. A name is matched
// exactly first, then case-insensitively, then as a case-insensitive prefix; the first
// rule that gives exactly one class wins, and a rule that gives several is an error that
// lists the candidates (with their indices) so the user can pick one. numClasses bounds
// the indices; names may be nil (then only indices are accepted) or have numClasses
// entries.
func Lookup(names []string, numClasses int, query string) (int, error) {
	q := strings.TrimSpace(query)
	if q == "" {
		return 0, fmt.Errorf("empty class: give a class index or name")
	}
	if i, err := strconv.Atoi(q); err == nil {
		if i < 0 || i >= numClasses {
			return 0, fmt.Errorf("class %d is outside [0, %d): the model has %d classes", i, numClasses, numClasses)
		}
		return i, nil
	}
	if len(names) == 0 {
		return 0, fmt.Errorf("class %q: the model's classes have no names; give an index in [0, %d) or a label file", q, numClasses)
	}
	lower := strings.ToLower(q)
	rules := []struct {
		what  string
		match func(name string) bool
	}{
		{"exactly", func(n string) bool { return n == q }},
		{"ignoring case", func(n string) bool { return strings.EqualFold(n, q) }},
		{"as a prefix", func(n string) bool { return strings.HasPrefix(strings.ToLower(n), lower) }},
	}
	for _, r := range rules {
		var hits []int
		for i, n := range names {
			if r.match(n) {
				hits = append(hits, i)
			}
		}
		switch {
		case len(hits) == 1:
			return hits[0], nil
		case len(hits) > 1:
			return 0, fmt.Errorf("class %q is ambiguous: it matches %d class names %s: %s; give more of the name or the index",
				q, len(hits), r.what, candidates(names, hits))
		}
	}
	return 0, fmt.Errorf("class %q names no class (%d names, e.g. %s); give an index in [0, %d) or a name",
		q, len(names), candidates(names, []int{0, 1, 2}[:min(3, len(names))]), numClasses)
}

// candidates formats classes as `"name" (index)`, at most maxCandidates of them.
func candidates(names []string, idx []int) string {
	var parts []string
	for k, i := range idx {
		if k == maxCandidates {
			parts = append(parts, fmt.Sprintf("and %d more", len(idx)-k))
			break
		}
		parts = append(parts, fmt.Sprintf("%q (%d)", names[i], i))
	}
	return strings.Join(parts, ", ")
}
