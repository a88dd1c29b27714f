//go:build unix

package nb

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/camviz/camviz/internal/testenv"
)

// A minimal Chrome DevTools Protocol client over --remote-debugging-pipe: Chromium
// reads NUL-terminated JSON commands on file descriptor 3 and writes replies and events
// on descriptor 4. It needs no module beyond the standard library (chromedp would add
// cdproto's large generated packages to every build of the module graph).

const chromiumInstall = "apt-get install -y chromium"

// cdpTimeout bounds every command's wait for its reply.
const cdpTimeout = 30 * time.Second

// findChromium returns the Chromium binary: $CAMVIZ_CHROMIUM, else chromium,
// chromium-browser or google-chrome on PATH.
func findChromium() (string, error) {
	if p := os.Getenv("CAMVIZ_CHROMIUM"); p != "" {
		return p, nil
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("headless Chromium was not found (looked for $CAMVIZ_CHROMIUM, chromium, chromium-browser and google-chrome on PATH); "+
		"the explorer's browser test needs it: install it with `%s` (Debian; .ci/run does)", chromiumInstall)
}

// browser is a headless Chromium with one page attached (flat session).
type browser struct {
	cmd      *exec.Cmd
	toChrome *os.File
	replies  chan cdpMessage
	stderr   strings.Builder
	nextID   int
	session  string
}

type cdpMessage struct {
	ID     int             `json:"id"`
	Method string          `json:"method"`
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
	err error
}

// startBrowser starts Chromium with the flags that work in this environment and a
// fresh profile, and attaches to a new page of width×height CSS pixels.
func startBrowser(t *testing.T, width, height int) *browser {
	t.Helper()
	bin, err := findChromium()
	testenv.NeedApt(t, err, chromiumInstall) // skips without Chromium, fails with CI=true
	// Chromium reads fd 3 (our cmdR) and writes fd 4 (our evW).
	cmdR, cmdW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	evR, evW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	b := &browser{toChrome: cmdW, replies: make(chan cdpMessage, 64)}
	b.cmd = exec.Command(bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--force-color-profile=srgb", "--hide-scrollbars", "--user-data-dir="+t.TempDir(),
		"--remote-debugging-pipe", "about:blank")
	b.cmd.ExtraFiles = []*os.File{cmdR, evW}
	b.cmd.Stderr = &b.stderr
	if err := b.cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v (install Chromium with `%s`)", bin, err, chromiumInstall)
	}
	cmdR.Close()
	evW.Close()
	go b.read(evR)
	t.Cleanup(b.close)

	var created struct{ TargetID string }
	b.call(t, "Target.createTarget", map[string]any{"url": "about:blank"}, &created)
	var attached struct{ SessionID string }
	b.call(t, "Target.attachToTarget", map[string]any{"targetId": created.TargetID, "flatten": true}, &attached)
	b.session = attached.SessionID
	b.call(t, "Emulation.setDeviceMetricsOverride", map[string]any{"width": width, "height": height,
		"deviceScaleFactor": 1, "mobile": false}, nil)
	return b
}

// read forwards Chromium's replies (not its events) to b.replies until the pipe closes.
func (b *browser) read(r *os.File) {
	defer close(b.replies)
	br := bufio.NewReader(r)
	for {
		line, err := br.ReadBytes(0)
		if err != nil {
			return
		}
		var m cdpMessage
		if err := json.Unmarshal(line[:len(line)-1], &m); err != nil {
			m.err = fmt.Errorf("bad DevTools message %.200q: %v", line, err)
		}
		if m.ID != 0 || m.err != nil {
			b.replies <- m
		}
	}
}

// call sends a command to the page session (or the browser before attaching), waits
// for its reply and decodes its result into out (if not nil).
func (b *browser) call(t *testing.T, method string, params map[string]any, out any) {
	t.Helper()
	b.nextID++
	msg := map[string]any{"id": b.nextID, "method": method, "params": params}
	if b.session != "" {
		msg["sessionId"] = b.session
	}
	data, err := json.Marshal(msg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.toChrome.Write(append(data, 0)); err != nil {
		t.Fatalf("%s: writing to Chromium: %v\n%s", method, err, b.stderr.String())
	}
	deadline := time.After(cdpTimeout)
	for {
		select {
		case m, ok := <-b.replies:
			if !ok {
				t.Fatalf("%s: Chromium closed the DevTools pipe\n%s", method, b.stderr.String())
			}
			if m.err != nil {
				t.Fatal(m.err)
			}
			if m.ID != b.nextID {
				continue
			}
			if m.Error != nil {
				t.Fatalf("%s: DevTools error %d: %s", method, m.Error.Code, m.Error.Message)
			}
			if out != nil {
				if err := json.Unmarshal(m.Result, out); err != nil {
					t.Fatalf("%s: decoding %.200s: %v", method, m.Result, err)
				}
			}
			return
		case <-deadline:
			t.Fatalf("%s: no reply from Chromium within %v\n%s", method, cdpTimeout, b.stderr.String())
		}
	}
}

// eval evaluates a JavaScript expression in the page and decodes its value into out.
func (b *browser) eval(t *testing.T, expr string, out any) {
	t.Helper()
	var r struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		ExceptionDetails *struct {
			Text      string `json:"text"`
			Exception struct {
				Description string `json:"description"`
			} `json:"exception"`
		} `json:"exceptionDetails"`
	}
	b.call(t, "Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true}, &r)
	if r.ExceptionDetails != nil {
		t.Fatalf("evaluating %s: %s %s", expr, r.ExceptionDetails.Text, r.ExceptionDetails.Exception.Description)
	}
	if out != nil {
		if err := json.Unmarshal(r.Result.Value, out); err != nil {
			t.Fatalf("evaluating %s: value %.200s: %v", expr, r.Result.Value, err)
		}
	}
}

// open loads a file and waits until the document has loaded.
func (b *browser) open(t *testing.T, path string) {
	t.Helper()
	b.call(t, "Page.navigate", map[string]any{"url": "file://" + path}, nil)
	for start := time.Now(); ; time.Sleep(20 * time.Millisecond) {
		var state string
		b.eval(t, "document.location.href.startsWith('file:') ? document.readyState : 'navigating'", &state)
		if state == "complete" {
			return
		}
		if time.Since(start) > cdpTimeout {
			t.Fatalf("%s did not load within %v (readyState %q)", path, cdpTimeout, state)
		}
	}
}

// click presses and releases the left mouse button at the centre of the element that
// the JavaScript expression selector returns, as a user's click.
func (b *browser) click(t *testing.T, selector string) {
	t.Helper()
	var at struct{ X, Y float64 }
	b.eval(t, `(function(){var e=`+selector+`;e.scrollIntoView({block:'center'});var r=e.getBoundingClientRect();`+
		`return {x:r.left+r.width/2,y:r.top+r.height/2};})()`, &at)
	for _, typ := range []string{"mousePressed", "mouseReleased"} {
		b.call(t, "Input.dispatchMouseEvent", map[string]any{"type": typ, "x": at.X, "y": at.Y,
			"button": "left", "clickCount": 1}, nil)
	}
}

// key sends a key press (down and up) to the focused element, e.g. "ArrowRight" (39).
func (b *browser) key(t *testing.T, key string, code int) {
	t.Helper()
	for _, typ := range []string{"rawKeyDown", "keyUp"} {
		b.call(t, "Input.dispatchKeyEvent", map[string]any{"type": typ, "key": key, "code": key,
			"windowsVirtualKeyCode": code, "nativeVirtualKeyCode": code}, nil)
	}
}

// screenshot returns a PNG of the viewport.
func (b *browser) screenshot(t *testing.T) []byte {
	t.Helper()
	var r struct{ Data string }
	b.call(t, "Page.captureScreenshot", map[string]any{"format": "png"}, &r)
	png, err := base64.StdEncoding.DecodeString(r.Data)
	if err != nil {
		t.Fatal(err)
	}
	return png
}

// close asks Chromium to quit and waits for it, killing it after a few seconds.
func (b *browser) close() {
	b.session = ""
	b.nextID++
	data, _ := json.Marshal(map[string]any{"id": b.nextID, "method": "Browser.close"})
	b.toChrome.Write(append(data, 0))
	b.toChrome.Close()
	done := make(chan struct{})
	go func() {
		b.cmd.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		b.cmd.Process.Kill()
		<-done
	}
}
