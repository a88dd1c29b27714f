package bench

import (
	"strings"
	"testing"
)

func TestParseVmHWM(t *testing.T) {
	status := "Name:\tbench\nVmPeak:\t 1234567 kB\nVmHWM:\t    2048 kB\nVmRSS:\t    1024 kB\n"
	got, err := parseVmHWM(strings.NewReader(status))
	if err != nil || got != 2048*1024 {
		t.Errorf("parseVmHWM = %d, %v; want 2048 kB = 2097152 bytes", got, err)
	}
	for _, bad := range []string{"VmRSS:\t 1024 kB\n", "VmHWM:\t 12 MB\n", "VmHWM:\t x kB\n", ""} {
		if _, err := parseVmHWM(strings.NewReader(bad)); err == nil {
			t.Errorf("parseVmHWM(%q) gave no error", bad)
		}
	}
	// This process has touched at least the Go runtime's heap: well over 1 MiB.
	if b, err := peakRSS(); err != nil || b < 1<<20 {
		t.Errorf("peakRSS() = %d, %v; want at least 1 MiB", b, err)
	}
}

func TestParseCPUModel(t *testing.T) {
	info := "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R)  CPU @ 2.80GHz\n" +
		"processor\t: 1\nmodel name\t: Intel(R) Xeon(R)  CPU @ 2.80GHz\n"
	got, err := parseCPUModel(strings.NewReader(info))
	if want := "Intel(R) Xeon(R) CPU @ 2.80GHz"; err != nil || got != want {
		t.Errorf("parseCPUModel = %q, %v; want %q", got, err, want)
	}
	if _, err := parseCPUModel(strings.NewReader("processor\t: 0\n")); err == nil {
		t.Error("parseCPUModel without a model name gave no error")
	}
}
