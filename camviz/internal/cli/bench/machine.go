package bench

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"time"
)

// machine describes where the bench ran.
type machine struct {
	CPU        string // model name from /proc/cpuinfo
	Cores      int    // logical CPUs Go may use
	Go         string // Go version and GOEXPERIMENT
	Date       string
	LoadBefore string // /proc/loadavg's 1, 5 and 15 minute averages when the run began
	LoadAfter  string // and when it ended
}

// parseCPUModel returns the first "model name" of /proc/cpuinfo's text.
func parseCPUModel(r io.Reader) (string, error) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(name) == "model name" {
			return strings.Join(strings.Fields(value), " "), nil
		}
	}
	if err := sc.Err(); err != nil {
		return "", err
	}
	return "", fmt.Errorf("no \"model name\" line in cpuinfo")
}

// loadAverage returns the 1, 5 and 15 minute load averages, or "unknown".
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) >= 3 {
		return strings.Join(f[:3], " ")
	}
	return "unknown"
}

func describeMachine() machine {
	m := machine{CPU: "unknown CPU", Cores: runtime.NumCPU(), Go: runtime.Version(),
		Date: time.Now().UTC().Format("2006-01-02 15:04 UTC"), LoadBefore: loadAverage()}
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		if cpu, err := parseCPUModel(f); err == nil {
			m.CPU = cpu
		}
		f.Close()
	}
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "GOEXPERIMENT" && s.Value != "" {
				m.Go += " GOEXPERIMENT=" + s.Value
			}
		}
	}
	return m
}
