package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/camviz/camviz/camviz/internal/cli/bench"
	"github.com/camviz/camviz/camviz/internal/cli/evaluate"
	"github.com/camviz/camviz/camviz/internal/cli/train"
)

// Exit codes: 0 success, 1 a failure while computing or writing, 2 a usage error (bad
// flags, missing files, unknown layers or methods, wrong input shapes).
const (
	exitOK    = 0
	exitFail  = 1
	exitUsage = 2
)

const topUsage = `camviz explains image classifiers with class activation maps.

Usage:
  camviz layers  --model FILE [--input-shape DIMS]      list the layers that can be explained
  camviz explain --model FILE --input FILE --method NAME --out DIR [--layer NAME ...]
                                                         write maps (.npy), overlays (.png) and index.html
  camviz evaluate [flags]                                score methods on a localization set (box accuracy, PxAP, faithfulness)
  camviz train    [flags]                                train a zoo model and save it as a camviz model folder
  camviz bench    [flags]                                measure camviz's speed on this machine
  camviz models                                          list the models shipped with camviz
  camviz version                                         print camviz's version and the Go toolchain
  camviz help                                            this text

--model is an ONNX file, a camviz model folder (model.json + checkpoint) or the name of a
model shipped with camviz (camviz models lists them).
Run "camviz <command> --help" for the flags of a command.
`

// usageError marks errors that exit with code 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// run is the command: args without the program name; it returns the exit code.
func run(args []string, stdout, stderr io.Writer) (code int) {
	defer func() {
		if r := recover(); r != nil {
			code = fail(stderr, fmt.Errorf("internal error: %v", r))
		}
	}()
	if len(args) == 0 {
		fmt.Fprint(stderr, topUsage)
		return exitUsage
	}
	var err error
	switch args[0] {
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, topUsage)
		return exitOK
	case "layers":
		err = runLayers(args[1:], stdout)
	case "explain":
		err = runExplain(args[1:], stdout, stderr)
	case "evaluate":
		return evaluate.Main(args[1:], stdout, stderr)
	case "train":
		return train.Main(args[1:], stdout, stderr)
	case "bench":
		return bench.Main(args[1:], stdout, stderr)
	case "models":
		err = runModels(args[1:], stdout)
	case "version":
		err = runVersion(args[1:], stdout)
	default:
		err = usagef("unknown command %q: use layers, explain, evaluate, train, bench, models or version (camviz help)", args[0])
	}
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	return fail(stderr, err)
}

var spaces = regexp.MustCompile(`\s*\n\s*`)

// fail prints err on one line as "camviz: ..." and returns its exit code.
func fail(stderr io.Writer, err error) int {
	if err == nil {
		return exitOK
	}
	msg := strings.TrimSpace(err.Error())
	for _, p := range []string{"camviz: ", "models: "} {
		msg = strings.TrimPrefix(msg, p)
		msg = strings.ReplaceAll(msg, ": "+p, ": ")
	}
	fmt.Fprintf(stderr, "camviz: %s\n", trimError(spaces.ReplaceAllString(msg, "; ")))
	var u usageError
	if errors.As(err, &u) {
		return exitUsage
	}
	return exitFail
}

// flagSet is a subcommand's flags and its --help text.
type flagSet struct {
	*flag.FlagSet
	help func()
}

// newFlagSet returns a flag set whose errors and usage go through parse.
func newFlagSet(name, usage string, stdout io.Writer) *flagSet {
	fs := &flagSet{FlagSet: flag.NewFlagSet(name, flag.ContinueOnError)}
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	fs.help = func() {
		fmt.Fprint(stdout, usage)
		fs.SetOutput(stdout)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	return fs
}

// parse parses args: --help prints the usage to stdout (and returns flag.ErrHelp), a
// bad flag or a stray argument is a usage error.
func (fs *flagSet) parse(args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.help()
			return err
		}
		return usagef("%s: %v (camviz %s --help)", fs.Name(), err, fs.Name())
	}
	if fs.NArg() > 0 {
		return usagef("%s: unexpected argument %q: every value goes with a flag (camviz %s --help)", fs.Name(), fs.Arg(0), fs.Name())
	}
	return nil
}

// stringList is a repeatable string flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

// parseInts parses comma-separated positive integers, "a,b,c", expecting n of them
// (n = 0: any count).
func parseInts(flagName, v string, n int) ([]int, error) {
	parts := strings.Split(v, ",")
	if n > 0 && len(parts) != n {
		return nil, usagef("--%s %q: want %d comma-separated integers", flagName, v, n)
	}
	out := make([]int, len(parts))
	for i, p := range parts {
		if _, err := fmt.Sscan(strings.TrimSpace(p), &out[i]); err != nil || out[i] <= 0 {
			return nil, usagef("--%s %q: %q is not a positive integer", flagName, v, p)
		}
	}
	return out, nil
}

// parseFloats parses one number or n comma-separated numbers into n values.
func parseFloats(flagName, v string, n int) ([]float32, error) {
	parts := strings.Split(v, ",")
	if len(parts) != 1 && len(parts) != n {
		return nil, usagef("--%s %q: want one number or %d comma-separated numbers (one per channel)", flagName, v, n)
	}
	out := make([]float32, n)
	for i := range out {
		p := parts[min(i, len(parts)-1)]
		if _, err := fmt.Sscan(strings.TrimSpace(p), &out[i]); err != nil {
			return nil, usagef("--%s %q: %q is not a number", flagName, v, p)
		}
	}
	return out, nil
}
