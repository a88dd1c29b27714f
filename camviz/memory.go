package camviz

import (
	"fmt"
	"os"
	"strconv"

	"github.com/gomlx/gomlx/core/graph"
)

// MemoryEstimate is the estimated memory of one chunked method (Score-CAM or
// Ablation-CAM) at one layer, computed from the shapes of the graph's nodes when it is
// built, before anything runs. PeakBytes estimates how much the process grows while the
// method runs (its peak resident set size less the resident set size before the call),
// on the pure-Go backend; docs/performance.md compares it with measurements.
//
// The budget (Config.MemoryBudget) bounds BaseBytes + ChunkSize × BytesPerPass, where
// every intermediate value of the ordinary pass and of one chunk of passes is counted as
// if all were alive at once: an upper bound on what the graph's values hold. The backend
// frees values as it goes, so less is live at a time (liveFraction, measured), but it also
// holds what the graph's shapes do not show (the patch matrices and Winograd tiles of
// convolutions lowered to matrix products, buffers rounded up to the allocator's size
// classes), and the Go collector lets the heap grow past what is live (heapGrowth: 1.5
// while camviz runs chunked passes, see lowerGCPercentWhileRunning). PeakBytes counts
// both, and adds what does not depend on the chunk size and stays outside the budget, so
// that a small budget still allows a chunk of one pass: GraphBytes, the compiled graph,
// which holds a copy of the model per lane of the chunk loop, and WeightBytes, the
// backend's copies of the model's weights for one execution.
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
	// GraphBytes is the compiled graph's own memory: the copies of the model's nodes
	// (one per lane of the chunk loop, see chunkedRows; one per chunk on a backend
	// without closures), at graphBytesPerNode each, times the collector's headroom
	// (heapGrowth).
	GraphBytes int64
	// WeightBytes is the backend's copies of the model's weights in the layouts its
	// products want (the variables are the graph's parameters in chunked graphs, so
	// the copies are made while the graph runs and freed when their products are
	// done, not kept with the compiled graph), times the collector's headroom.
	WeightBytes int64
	// PeakBytes = heapGrowth × liveFraction × (BaseBytes + ChunkSize × BytesPerPass)
	// + GraphBytes + WeightBytes: the part of the passes that is live at the peak (0.6
	// of them, measured on ResNet-18) with the collector's headroom (1.5 while chunked
	// passes run), and the fixed parts.
	PeakBytes int64
	// Budget is the memory budget the chunk was chosen for (Config.MemoryBudget): it
	// bounds BaseBytes + ChunkSize × BytesPerPass.
	Budget int64
}

// String summarises the estimate.
func (m MemoryEstimate) String() string {
	return fmt.Sprintf("%s at %q: %d passes in %d chunks of %d, %s per pass, %s for the passes (budget %s), "+
		"peak ≈ %s with the compiled graph (%s) and the weights' copies (%s)",
		m.Method, m.Layer, m.Passes, m.Chunks, m.ChunkSize, formatBytes(m.BytesPerPass),
		formatBytes(m.BaseBytes+int64(m.ChunkSize)*m.BytesPerPass), formatBytes(m.Budget), formatBytes(m.PeakBytes),
		formatBytes(m.GraphBytes), formatBytes(m.WeightBytes))
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
	// totalBytes counts every node the model built (parameters and constants excluded).
	totalBytes int64
	// nodes is the number of nodes the model built, and weightBytes the bytes of its
	// parameters and constants (the model's variables).
	nodes       int
	weightBytes int64
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
		f.nodes++
		if n.NumOutputs() != 1 {
			continue
		}
		s := n.Shape()
		bytes := s.ByteSize()
		if bytes <= 0 {
			continue
		}
		if t := n.Type(); t == graph.NodeTypeParameter || t == graph.NodeTypeConstant {
			f.weightBytes += bytes
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

// graphBytesPerNode is the memory a compiled graph holds per node of a model copy in
// it, on the pure-Go backend with camviz/fastconv (which lowers each convolution to a
// few dozen backend ops): the Go heap in use after compiling Score-CAM's graph for
// ResNet-18 (224², chunks of 3) was 125 MiB at layer4.1 (171 copies of the model's 387
// nodes) and 71 MiB at layer1.1 (22 copies), 980 bytes per node of a copy.
const graphBytesPerNode = 1000

// liveFraction is the part of BaseBytes + ChunkSize × BytesPerPass (every value of the
// ordinary pass and of one chunk of passes, counted as if all were alive at once) that is
// live at the peak, the backend's hidden temporaries (patch matrices, Winograd tiles,
// size-class rounding) included: fitted on ResNet-18 at 224², Score-CAM at layer4.1 with
// chunks of 3 and 15-17: 0.42-0.51 with batch norm as its own ops, 0.54-0.68 with it
// folded into the convolutions (camviz/models' default since 2026-11-30, which removes
// nodes the sum counted but which were freed at once); docs/performance.md.
const liveFraction = 0.6

// heapGrowth is how far the Go collector lets the heap grow past what was live after
// the last collection before it collects again, while chunked passes run: 1 + p/100 for
// the smaller of GOGC (100 by default) and chunkedGCPercent, which camviz sets for the run
// (see lowerGCPercentWhileRunning).
func heapGrowth() float64 {
	gogc := 100
	if s := os.Getenv("GOGC"); s != "" && s != "off" {
		if v, err := strconv.Atoi(s); err == nil && v > 0 {
			gogc = v
		}
	}
	return 1 + float64(min(gogc, chunkedGCPercent))/100
}

// modelCopies is how many copies of the model the graph holds for chunks chunks of
// chunk passes: one for a single chunk (no loop), one per lane of the loop body (see
// chunkedRows), or one per chunk where the backend has no closures and the chunks are
// unrolled.
func (ctx *buildContext) modelCopies(chunks, chunk int) int {
	switch {
	case chunks == 1:
		return 1
	case !chunkLoop(ctx.images.Graph()):
		return chunks
	}
	return min(chunkLanes, chunk)
}

// fastestChunk caps the chunk that planChunks chooses from the budget: more passes at
// once are not faster, they are slower, and they hold more memory. Score-CAM at
// layer4.1 of ResNet-18 (224², 512 passes, the Go backend with fastconv, one process,
// load ≈ 1.1, second call): 11.7 s in chunks of 3, 12.0 s of 8, 11.3 s of 16, 13.0 s of
// 17, 14.2 s of 24, 14.9 s of 32 (docs/performance.md). Config.ChunkSize overrides it.
const fastestChunk = 16

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
		chunk = int(min(fits, int64(passes), fastestChunk))
	}
	est.ChunkSize = chunk
	est.Chunks = (passes + chunk - 1) / chunk
	growth := heapGrowth()
	est.GraphBytes = int64(float64(int64(ctx.modelCopies(est.Chunks, chunk))*int64(ctx.fwd.nodes)*graphBytesPerNode) * growth)
	est.WeightBytes = int64(float64(ctx.fwd.weightBytes) * growth)
	est.PeakBytes = int64(growth*liveFraction*float64(base+int64(chunk)*bytesPerPass)) + est.GraphBytes + est.WeightBytes
	ctx.layout.memory = append(ctx.layout.memory, est)
	return chunk, nil
}
