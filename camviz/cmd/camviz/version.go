package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

const versionUsage = `Usage: camviz version

Prints camviz's module version (as go install recorded it, "(devel)" for a build from a
checkout), the VCS revision when the build recorded one, and the Go toolchain.

`

// runVersion prints the build's module version, VCS revision and Go version.
func runVersion(args []string, stdout io.Writer) error {
	fs := newFlagSet("version", versionUsage, stdout)
	if err := fs.parse(args); err != nil {
		return err
	}
	version, revision := "(unknown)", ""
	if info, ok := debug.ReadBuildInfo(); ok {
		version = info.Main.Version
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				revision = s.Value
			case "vcs.modified":
				if s.Value == "true" {
					revision += " (modified)"
				}
			}
		}
	}
	fmt.Fprintf(stdout, "camviz %s", version)
	if revision != "" {
		fmt.Fprintf(stdout, " revision %s", revision)
	}
	fmt.Fprintf(stdout, " %s %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return nil
}
