//go:build unix

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
	"syscall"
	"testing"
	"time"

	"github.com/janpfeifer/gonb/gonbui/protocol"
)

// The display tests run each scenario in a child process (this test binary,
// re-executed with childEnv set), because gonbui decides IsNotebook from
// GONB_PIPE when the program starts and keeps its pipes open for the process's
// lifetime, as in a GoNB cell. The parent plays the GoNB kernel: it makes the
// two named pipes (GONB_PIPE: program → kernel, GONB_PIPE_BACK: kernel →
// program), decodes the gob-encoded protocol.DisplayData the child sends, and
// answers gonbui's sync requests with acknowledgements, as GoNB's jpyexec does.

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

// capture is what a child printed and sent to the (fake) kernel.
type capture struct {
	stdout   string
	messages []*protocol.DisplayData // display messages, in order
	syncs    int                     // sync requests acknowledged
}

// fakeKernel reads a child's GONB_PIPE and acknowledges its syncs on GONB_PIPE_BACK.
type fakeKernel struct {
	pipe, back string
	done       chan struct{}
	c          capture
	err        error
}

func newFakeKernel(t *testing.T) *fakeKernel {
	t.Helper()
	dir := t.TempDir()
	k := &fakeKernel{pipe: filepath.Join(dir, "gonb_pipe"), back: filepath.Join(dir, "gonb_pipe_back"), done: make(chan struct{})}
	for _, p := range []string{k.pipe, k.back} {
		if err := syscall.Mkfifo(p, 0o600); err != nil {
			t.Fatalf("mkfifo %s: %v", p, err)
		}
	}
	go k.serve()
	return k
}

// serve opens the pipes in the order gonbui does (GONB_PIPE, then
// GONB_PIPE_BACK) and handles messages until the child closes GONB_PIPE.
func (k *fakeKernel) serve() {
	defer close(k.done)
	r, err := os.OpenFile(k.pipe, os.O_RDONLY, 0)
	if err != nil {
		k.err = err
		return
	}
	defer r.Close()
	w, err := os.OpenFile(k.back, os.O_WRONLY, 0)
	if err != nil {
		k.err = err
		return
	}
	defer w.Close()
	dec, enc := gob.NewDecoder(r), gob.NewEncoder(w)
	for {
		msg := &protocol.DisplayData{}
		if err := dec.Decode(msg); errors.Is(err, io.EOF) {
			return
		} else if err != nil {
			k.err = fmt.Errorf("decoding message %d: %w", len(k.c.messages)+k.c.syncs, err)
			return
		}
		if v, ok := msg.Data[protocol.MIMECommValue].(protocol.CommValue); ok && v.Address == protocol.GonbuiSyncAddress {
			k.c.syncs++
			if err := enc.Encode(&protocol.CommValue{Address: protocol.GonbuiSyncAckAddress, Value: v.Value}); err != nil {
				k.err = fmt.Errorf("acknowledging sync %v: %w", v.Value, err)
				return
			}
			continue
		}
		k.c.messages = append(k.c.messages, msg)
	}
}

// finish unblocks serve if the child never opened a pipe, and waits for it.
// The child has exited, so whatever it wrote is in the FIFO's buffer.
func (k *fakeKernel) finish(t *testing.T) capture {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case <-k.done:
			if k.err != nil {
				t.Fatalf("fake kernel: %v", k.err)
			}
			return k.c
		case <-deadline:
			t.Fatal("fake kernel did not finish reading GONB_PIPE")
		case <-time.After(5 * time.Millisecond):
			// Opening the other end without blocking lets a blocked open in
			// serve return; serve then reads to EOF.
			if f, err := os.OpenFile(k.pipe, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
				f.Close()
			}
			if f, err := os.OpenFile(k.back, os.O_RDONLY|syscall.O_NONBLOCK, 0); err == nil {
				f.Close()
			}
		}
	}
}

// runChild runs scenario in a child process, with a fake kernel if notebook is
// true, else with GONB_PIPE and GONB_PIPE_BACK unset.
func runChild(t *testing.T, scenario string, notebook bool) capture {
	t.Helper()
	if !notebook {
		return capture{stdout: runProcess(t, scenario)}
	}
	k := newFakeKernel(t)
	out := runProcess(t, scenario, protocol.GONB_PIPE_ENV+"="+k.pipe, protocol.GONB_PIPE_BACK_ENV+"="+k.back)
	c := k.finish(t)
	c.stdout = out
	return c
}

// runProcess runs the child with GoNB's variables replaced by env, and returns its stdout.
func runProcess(t *testing.T, scenario string, env ...string) string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GONB_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(append(cmd.Env, childEnv+"="+scenario), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child %q failed: %v\n%s", scenario, err, out)
	}
	return strings.TrimSpace(string(out))
}
