package bench

import (
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/camviz/camviz/camviz"
	"github.com/camviz/camviz/camviz/datasets"
	"github.com/camviz/camviz/camviz/models"
	"github.com/gomlx/compute"
)

// goalSoakGrowth is the bound on memory growth over a long run: RSS after the
// last call at most 10% above RSS after the warm-up (the first 100 calls).
var goalSoakGrowth = &goal{Limit: 10, AtMost: true}

// soakEvery is how often the soak reads the RSS.
const soakEvery = 100

// soakRows calls Explain calls times on one Explainer (the shipped GAP-CNN, Grad-CAM
// and Eigen-CAM at block3, batches of 4 held-out synthetic images that change every
// call, argmax and class targets alternating) and reports the resident set size every
// soakEvery calls, then the growth from the first report (after the warm-up) to the
// last. A leak (compiled graphs kept per target, buffers never returned) shows as
// steady growth.
func soakRows(calls int, backend compute.Backend) ([]row, error) {
	if calls <= 0 {
		return []row{{ID: "soak/growth", Section: "Soak", Name: "RSS growth over a long run", Value: nan(),
			Unit: "%", Goal: goalSoakGrowth, Note: "skipped (-soak 0)"}}, nil
	}
	m, err := models.LoadShipped("gapcnn")
	if err != nil {
		return nil, err
	}
	ex, err := m.Explainer(backend, []string{"block3"}, camviz.MethodGradCAM, camviz.MethodEigenCAM)
	if err != nil {
		return nil, err
	}
	cfg := datasets.DefaultSyntheticConfig()
	const batch = 4
	var rows []row
	var first float64
	for i := 1; i <= calls; i++ {
		examples, err := datasets.SyntheticRange(cfg, 100000+(i%50)*batch, batch)
		if err != nil {
			return nil, err
		}
		images, _, err := datasets.Stack(examples)
		if err != nil {
			return nil, err
		}
		target := camviz.ArgmaxTarget()
		if i%2 == 0 {
			target = camviz.ClassTarget(i % m.Spec.NumClasses)
		}
		res, err := ex.ExplainFloats(images, []int{batch, examples[0].H, examples[0].W, 3}, target)
		if err != nil {
			return nil, fmt.Errorf("soak call %d: %w", i, err)
		}
		if _, err := res.Final("block3", camviz.MethodGradCAM); err != nil {
			return nil, fmt.Errorf("soak call %d: %w", i, err)
		}
		if i%soakEvery != 0 {
			continue
		}
		// Two collections empty sync.Pool's victim cache (the backend's pooled buffers),
		// and FreeOSMemory hands the freed pages back, so the RSS is the live memory
		// rather than whatever the scavenger has not returned yet.
		runtime.GC()
		runtime.GC()
		debug.FreeOSMemory()
		rss, err := currentRSS()
		if err != nil {
			return nil, err
		}
		mib := float64(rss) / (1 << 20)
		if first == 0 {
			first = mib
		}
		rows = append(rows, row{ID: fmt.Sprintf("soak/rss/%d", i), Section: "Soak", Name: fmt.Sprintf("RSS after %d Explain calls", i),
			Value: mib, Unit: "MiB"})
	}
	last := rows[len(rows)-1].Value
	rows = append(rows, row{ID: "soak/growth", Section: "Soak", Name: fmt.Sprintf("RSS growth, call %d → %d", soakEvery, calls),
		Value: 100 * (last - first) / first, Unit: "%", Goal: goalSoakGrowth,
		Note: fmt.Sprintf("one Explainer, GAP-CNN block3 Grad-CAM + Eigen-CAM, batch %d, argmax and class targets alternating; %d compiled graphs kept at the end", batch, ex.CompiledGraphs())})
	return rows, nil
}

// currentRSS returns the process's resident set size now (VmRSS), in bytes.
func currentRSS() (int64, error) {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, fmt.Errorf("soak: reading the RSS: %w", err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			return parseVmHWM(strings.NewReader("VmHWM:" + strings.TrimPrefix(line, "VmRSS:")))
		}
	}
	return 0, fmt.Errorf("soak: no VmRSS line in /proc/self/status")
}
