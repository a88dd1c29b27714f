package camviz

import (
	"fmt"

	"github.com/gomlx/gomlx/core/graph"
)

// MemoryEstimate is the estimated memory of one chunked method (Score-CAM or
// Ablation-CAM) at one layer, computed from the shapes of the graph's nodes when it is
// built, before anything runs.
//
// Every intermediate value of the graph is counted as if all were alive at once (the
// backend frees them as it goes, so this overestimates), but scratch memory inside a
// backend's kernels (for instance the patch matrices of a convolution lowered to a
// matrix product) is not seen and not counted.
type MemoryEstimate struct {
	Layer  string
	Method Method
	// Passes is the number of perturbed forward passes, batch × channels.
	Passes int
	// ChunkSize is the number of passes evaluated together, and Chunks how many chunks
	// run one after the other.
	ChunkSize, Chunks int
	// BytesPerPass is one pass's memory: the part of the model it runs (Score-CAM: the
	// whole model on a masked image; Ablation-CAM: only the layers after the tapped one)
	// plus its perturbed input.
	BytesPerPass int64
	// BaseBytes is the ordinary forward pass (and its backward pass, when a gradient
	// method is asked for), alive while the chunks run.
	BaseBytes int64
	// PeakBytes = BaseBytes + ChunkSize × BytesPerPass.
	PeakBytes int64
	// Budget is the memory budget the chunk was chosen for (Config.MemoryBudget).
	Budget int64
}

// String summarises the estimate.
func (m MemoryEstimate) String() string {
	return fmt.Sprintf("%s at %q: %d passes in %d chunks of %d, %s per pass, peak ≈ %s (budget %s)",
		m.Method, m.Layer, m.Passes, m.Chunks, m.ChunkSize, formatBytes(m.BytesPerPass), formatBytes(m.PeakBytes),
		formatBytes(m.Budget))
}

func formatBytes(b int64) string {
	switch {
	case b >= 1<<30:
		return fmt.Sprintf("%.2f GiB", float64(b)/(1<<30))
	case b >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
	case b >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(b)/(1<<10))
	}
	return fmt.Sprintf("%d B", b)
}

// forwardStats sums the bytes of the nodes the model function built for the ordinary pass.
type forwardStats struct {
	batch int
	// perExample[i] is the bytes per example of the i-th batch-leading node, created
	// with id ids[i] (in creation order).
	ids        []graph.NodeId
	perExample []int64
	// totalBytes counts every node the model built (parameters excluded).
	totalBytes int64
	// backward is set when a backward pass (about as large again) is built.
	backward bool
}

func lastNodeID(g *graph.Graph) graph.NodeId {
	if n := g.LastNode(); n != nil {
		return n.Id()
	}
	return -1
}

// newForwardStats records the nodes with ids in (first, last].
func newForwardStats(g *graph.Graph, first, last graph.NodeId, batch int) forwardStats {
	f := forwardStats{batch: batch}
	nodes := g.Nodes()
	for id := first + 1; id <= last && int(id) < len(nodes); id++ {
		n := nodes[id]
		if n.NumOutputs() != 1 || n.Type() == graph.NodeTypeParameter {
			continue
		}
		s := n.Shape()
		bytes := s.ByteSize()
		if bytes <= 0 {
			continue
		}
		f.totalBytes += bytes
		if s.Rank() > 0 && s.Dimensions[0] == batch && batch > 0 {
			f.ids = append(f.ids, id)
			f.perExample = append(f.perExample, bytes/int64(batch))
		}
	}
	return f
}

// bytesPerExampleAfter sums the per-example bytes of the batch nodes created after id
// (all of them for id < 0): the memory of running the model from that node on.
func (f forwardStats) bytesPerExampleAfter(id graph.NodeId) int64 {
	var sum int64
	for i, nid := range f.ids {
		if nid > id {
			sum += f.perExample[i]
		}
	}
	return sum
}

func (f forwardStats) baseBytes() int64 {
	if f.backward {
		return 2 * f.totalBytes
	}
	return f.totalBytes
}

// planChunks chooses the chunk size for passes perturbed forward passes of bytesPerPass
// each and records the estimate; it returns an error, before anything is allocated,
// when the requested chunk (or a single pass) does not fit the budget.
func (ctx *buildContext) planChunks(layer string, m Method, passes int, bytesPerPass int64) (int, error) {
	bytesPerPass = max(bytesPerPass, 1)
	budget := ctx.cfg.memoryBudget()
	base := ctx.fwd.baseBytes()
	est := MemoryEstimate{Layer: layer, Method: m, Passes: passes, BytesPerPass: bytesPerPass, BaseBytes: base, Budget: budget}
	fits := int64(0)
	if bytesPerPass > 0 && budget > base {
		fits = (budget - base) / bytesPerPass
	}
	chunk := ctx.cfg.ChunkSize
	switch {
	case chunk > 0:
		chunk = min(chunk, passes)
		if need := base + int64(chunk)*bytesPerPass; need > budget {
			return 0, fmt.Errorf("a chunk of %d passes needs about %s (%s per pass, plus %s for the ordinary pass), over the "+
				"memory budget of %s: use Config.ChunkSize <= %d, leave it 0 to choose from the budget, or raise Config.MemoryBudget (camviz explain --memory-budget MiB)",
				chunk, formatBytes(need), formatBytes(bytesPerPass), formatBytes(base), formatBytes(budget), max(fits, 1))
		}
	default:
		if fits < 1 {
			return 0, fmt.Errorf("even one pass needs about %s (%s per pass, plus %s for the ordinary pass), over the memory "+
				"budget of %s: raise Config.MemoryBudget (camviz explain --memory-budget MiB) or explain fewer images at once",
				formatBytes(base+bytesPerPass), formatBytes(bytesPerPass), formatBytes(base), formatBytes(budget))
		}
		chunk = int(min(fits, int64(passes)))
	}
	est.ChunkSize = chunk
	est.Chunks = (passes + chunk - 1) / chunk
	est.PeakBytes = base + int64(chunk)*bytesPerPass
	ctx.layout.memory = append(ctx.layout.memory, est)
	return chunk, nil
}
