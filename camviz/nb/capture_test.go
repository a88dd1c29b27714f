package nb

import (
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/janpfeifer/gonb/gonbui/protocol"
)

// The display tests run each scenario in a child process (this test binary,
// re-executed with childEnv set), because gonbui decides IsNotebook from
// GONB_PIPE when the program starts and then keeps its pipes open for the
// process's lifetime, as it does in a GoNB cell. The child's GONB_PIPE and
// GONB_PIPE_BACK are files in a temporary folder; the parent decodes what the
// child wrote with encoding/gob, as the GoNB kernel does.

const childEnv = "CAMVIZ_NB_TEST_SCENARIO"

func TestMain(m *testing.M) {
	if name := os.Getenv(childEnv); name != "" {
		os.Exit(runScenario(name))
	}
	os.Exit(m.Run())
}

// runScenario runs one scenario in the child and prints its result lines on
// stdout (see scenarios).
func runScenario(name string) int {
	f, ok := scenarios[name]
	if !ok {
		fmt.Printf("unknown scenario %q\n", name)
		return 2
	}
	fmt.Println(strings.Join(f(), "\n"))
	return 0
}

// capture is what a child printed and sent to the kernel.
type capture struct {
	stdout   string
	messages []*protocol.DisplayData
}

// runChild runs scenario in a child process. With notebook true its GONB_PIPE
// and GONB_PIPE_BACK are fresh files; with false both variables are removed.
func runChild(t *testing.T, scenario string, notebook bool) capture {
	t.Helper()
	dir := t.TempDir()
	pipe, back := filepath.Join(dir, "gonb_pipe"), filepath.Join(dir, "gonb_pipe_back")
	for _, p := range []string{pipe, back} {
		if err := os.WriteFile(p, nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return runChildEnv(t, scenario, notebook, pipe, back)
}

func runChildEnv(t *testing.T, scenario string, notebook bool, pipe, back string) capture {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(withoutGonbEnv(os.Environ()), childEnv+"="+scenario)
	if notebook {
		cmd.Env = append(cmd.Env, protocol.GONB_PIPE_ENV+"="+pipe, protocol.GONB_PIPE_BACK_ENV+"="+back)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child %q failed: %v\n%s", scenario, err, out)
	}
	c := capture{stdout: strings.TrimSpace(string(out))}
	if f, err := os.Open(pipe); err == nil {
		defer f.Close()
		dec := gob.NewDecoder(f)
		for {
			msg := &protocol.DisplayData{}
			if err := dec.Decode(msg); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatalf("child %q: decoding message %d from GONB_PIPE: %v", scenario, len(c.messages), err)
			}
			c.messages = append(c.messages, msg)
		}
	}
	return c
}

// withoutGonbEnv drops GoNB's variables, so tests behave the same inside a notebook.
func withoutGonbEnv(env []string) []string {
	var out []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, "GONB_") {
			out = append(out, kv)
		}
	}
	return out
}
