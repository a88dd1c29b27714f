package bench

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
)

// parseVmHWM reads the peak resident set size ("VmHWM:  123456 kB") from the
// text of /proc/<pid>/status and returns it in bytes.
func parseVmHWM(r io.Reader) (int64, error) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		name, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok || name != "VmHWM" {
			continue
		}
		f := strings.Fields(rest)
		if len(f) != 2 || f[1] != "kB" {
			return 0, fmt.Errorf("VmHWM line %q: want \"VmHWM: <n> kB\"", sc.Text())
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("VmHWM line %q: %w", sc.Text(), err)
		}
		return kb << 10, nil
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("no VmHWM line in the status file")
}

// peakRSS returns the process's peak resident set size in bytes: VmHWM from
// /proc/self/status, or else getrusage's ru_maxrss (kilobytes on Linux).
func peakRSS() (int64, error) {
	if f, err := os.Open("/proc/self/status"); err == nil {
		defer f.Close()
		if b, err := parseVmHWM(f); err == nil {
			return b, nil
		}
	}
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, fmt.Errorf("peak RSS: neither /proc/self/status nor getrusage: %w", err)
	}
	return ru.Maxrss << 10, nil
}

// startMemorySection returns freed memory to the OS (a garbage collection, and
// the Go backend's pooled buffers with it) and resets the peak RSS to the
// current RSS (Linux ≥ 4.0: "5" in /proc/self/clear_refs), so that the next
// peakRSS is the section's own peak. It reports whether the reset worked.
func startMemorySection() bool {
	runtime.GC() // sync.Pool keeps its contents through one collection (the victim cache)
	debug.FreeOSMemory()
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
}
