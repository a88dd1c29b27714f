package main

import (
	"runtime"
	"strings"
	"testing"
)

// TestSubcommandsHelp checks that every subcommand answers --help with its flags and
// exit status 0, and that an unknown command names every command there is.
func TestSubcommandsHelp(t *testing.T) {
	for _, c := range []struct {
		command, want string
	}{
		{"layers", "--input-shape"}, {"explain", "--method"}, {"evaluate", "-metrics"}, {"train", "-arch"},
		{"bench", "-quick"}, {"models", "Usage: camviz models"}, {"version", "Usage: camviz version"},
	} {
		code, stdout, stderr := runCLI(t, c.command, "--help")
		if code != exitOK || !strings.Contains(stdout+stderr, c.want) {
			t.Errorf("camviz %s --help: exit %d, output %q; want exit 0 and %q", c.command, code, stdout+stderr, c.want)
		}
	}
	code, _, stderr := runCLI(t, "frobnicate")
	for _, name := range []string{"layers", "explain", "evaluate", "train", "bench", "models", "version"} {
		if code != exitUsage || !strings.Contains(stderr, name) {
			t.Errorf("camviz frobnicate: exit %d, stderr %q; want exit 2 naming %q", code, stderr, name)
		}
	}
	for _, c := range [][]string{{"train", "-bogus"}, {"bench", "-bogus"}, {"evaluate", "-bogus"}, {"train", "stray"}, {"bench", "stray"}} {
		if code, _, _ := runCLI(t, c...); code != exitUsage {
			t.Errorf("camviz %v: exit %d, want 2 (usage error)", c, code)
		}
	}
}

// TestVersion checks that "camviz version" names the Go toolchain it was built with.
func TestVersion(t *testing.T) {
	code, stdout, stderr := runCLI(t, "version")
	if code != exitOK || !strings.HasPrefix(stdout, "camviz ") || !strings.Contains(stdout, runtime.Version()) {
		t.Errorf("camviz version: exit %d, stdout %q, stderr %q; want \"camviz VERSION ... %s\"", code, stdout, stderr, runtime.Version())
	}
}

// TestModelsList checks that "camviz models" lists the three shipped models with their
// input sizes and class counts.
func TestModelsList(t *testing.T) {
	code, stdout, stderr := runCLI(t, "models")
	if code != exitOK {
		t.Fatalf("camviz models: exit %d, stderr %q", code, stderr)
	}
	for _, want := range []string{
		"gapcnn         input [64 64 3] (H,W,C), 6 classes, layers [block1 block2 block3]",
		"gapcnn-fmnist  input [48 48 3] (H,W,C), 10 classes, layers [block1 block2 block3]",
		"resnet-fmnist  input [48 48 3] (H,W,C), 10 classes, layers [stem layer1.0 layer2.0 layer3.0]",
	} {
		if !strings.Contains(stdout, want+"\n") {
			t.Errorf("camviz models: no line %q in\n%s", want, stdout)
		}
	}
}
