package bench

import (
	"bytes"
	"strings"
	"testing"
)

func TestGoalsAndFormat(t *testing.T) {
	for _, tc := range []struct {
		r         row
		value, st string
	}{
		{row{Value: 55.25, Unit: "ms", Goal: goalGradCAM}, "55.2 ms", "meets"},
		{row{Value: 80, Unit: "ms", Goal: goalGradCAM}, "80.0 ms", "meets"}, // ≤ includes the limit
		{row{Value: 80.5, Unit: "ms", Goal: goalGradCAM}, "80.5 ms", "misses"},
		{row{Value: 24.9, Unit: "GFLOP/s", Goal: goalConv3x3}, "24.9 GFLOP/s", "misses"},
		{row{Value: 31, Unit: "GFLOP/s", Goal: goalConv3x3}, "31.0 GFLOP/s", "meets"},
		{row{Value: 1.234, Unit: "x", Goal: goalAllBlocks}, "1.23×", "meets"},
		{row{Value: 12.345, Unit: "s"}, "12.35 s", ""},
		{row{Value: 1234.4, Unit: "ms"}, "1234 ms", ""},
		{row{Value: nan(), Unit: "s", Goal: goalScoreCAM}, "—", "skipped"},
	} {
		if got := formatValue(tc.r.Value, tc.r.Unit); got != tc.value {
			t.Errorf("formatValue(%v, %q) = %q, want %q", tc.r.Value, tc.r.Unit, got, tc.value)
		}
		if got := tc.r.status(); got != tc.st {
			t.Errorf("status of %v %s with goal %+v = %q, want %q", tc.r.Value, tc.r.Unit, tc.r.Goal, got, tc.st)
		}
	}
	if got := goalGradCAM.format("ms"); got != "≤ 80.0 ms" {
		t.Errorf("goal format = %q", got)
	}
}

func TestMarkdown(t *testing.T) {
	rows := []row{
		{Section: "A", Name: "x | y", Value: 2, Unit: "ms", CPU: 3.5, Goal: goalGradCAM, Ref: "165 ms"},
		{Section: "B", Name: "z", Value: 1.5, Unit: "x"},
		{Section: "B", Name: "slow", Value: 12.5, Unit: "s", CPU: 20500},
	}
	var b bytes.Buffer
	if err := writeMarkdown(&b, rows); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	header := "| Measure | This run (median) | CPU/op | Goal | Status | Reference (pytorch-grad-cam, measured by the project) | Note |"
	sep := "| --- | --- | --- | --- | --- | --- | --- |"
	want := []string{
		"**A**", "", header, sep,
		`| x \| y | 2.00 ms | 3.50 ms | ≤ 80.0 ms | meets | 165 ms |  |`,
		"",
		"**B**", "", header, sep,
		"| z | 1.50× |  |  |  |  |  |",
		"| slow | 12.50 s | 20.50 s |  |  |  |  |", // CPU in the row's unit
	}
	if len(lines) != len(want) {
		t.Fatalf("markdown has %d lines, want %d:\n%s", len(lines), len(want), b.String())
	}
	for i := range want {
		if lines[i] != want[i] {
			t.Errorf("line %d = %q\nwant      %q", i, lines[i], want[i])
		}
	}
}
