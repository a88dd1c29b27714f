package models

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/gomlx/compute-onnx/support/protos"
)

// foldConvBatchNorms folds each inference BatchNormalization whose input is the output of
// a Conv that nothing else reads into that Conv (the exporters that keep batch norm
// separate: tf2onnx, Caffe2, keras2onnx; PyTorch's eval-mode export already folds):
//
//	BN(Conv(x, W, b)) = Conv(x, W·s, (b − mean)·s + β),  s = γ/√(var + ε)
//
// per output channel (Ioffe & Szegedy 2015, Sec. 3.2), computed in float64 and stored as
// new float32 initializers. The Conv then writes the BatchNormalization's output name
// and the BatchNormalization node is dropped, so taps on the batch norm's output keep
// their name and values (to float rounding); the Conv's own output is no longer a value
// of the graph, and a layer that names it gets an error naming the folded node
// (legalization.foldedConvs, onnxNet.tapOrigin). Only Conv weights and batch-norm
// parameters that are float32 constants are folded; FoldBatchNorm = false (or
// CAMVIZ_BNFOLD=off when the model is loaded) keeps the graph as it is.
func (l *legalizer) foldConvBatchNorms() {
	if !FoldBatchNorm {
		return
	}
	readers := map[string]int{}
	for _, n := range l.g.Node {
		for _, in := range n.Input {
			readers[in]++
		}
	}
	for _, o := range l.g.Output {
		readers[o.Name]++
	}
	producer := producers(l.g.Node)
	dropped := map[*protos.NodeProto]bool{}
	for _, bn := range l.g.Node {
		if bn.OpType != "BatchNormalization" || (bn.Domain != "" && bn.Domain != "ai.onnx") ||
			len(bn.Input) != 5 || len(bn.Output) != 1 {
			continue
		}
		conv := producer[bn.Input[0]]
		if conv == nil || conv.OpType != "Conv" || (conv.Domain != "" && conv.Domain != "ai.onnx") ||
			len(conv.Output) != 1 || readers[conv.Output[0]] != 1 || len(conv.Input) < 2 {
			continue
		}
		folded, ok := l.foldedConvWeights(conv, bn)
		if !ok {
			continue
		}
		convOut := conv.Output[0]
		conv.Input = append(conv.Input[:1], folded...)
		conv.Output = []string{bn.Output[0]}
		dropped[bn] = true
		if l.res.foldedConvs == nil {
			l.res.foldedConvs = map[string]string{}
		}
		l.res.foldedConvs[convOut] = fmt.Sprintf("the output %q of ONNX node %q (op Conv) was folded with the "+
			"BatchNormalization node %q that reads it when the model was loaded, and is no longer a value of the graph: "+
			"explain %q (the batch norm's output, the same layer with the batch norm applied), or load the model with "+
			"models.FoldBatchNorm = false (CAMVIZ_BNFOLD=off) to keep it", convOut, conv.Name, bn.Name, bn.Output[0])
	}
	if len(dropped) == 0 {
		return
	}
	kept := l.g.Node[:0]
	for _, n := range l.g.Node {
		if !dropped[n] {
			kept = append(kept, n)
		}
	}
	l.g.Node = kept
}

// foldedConvWeights returns the names of new initializers W·s and (b − mean)·s + β for a
// Conv followed by a BatchNormalization (see foldConvBatchNorms); ok is false when a
// weight or parameter is not a float32 constant of the expected size.
func (l *legalizer) foldedConvWeights(conv, bn *protos.NodeProto) (inputs []string, ok bool) {
	wt := l.consts[conv.Input[1]]
	if wt == nil || len(wt.Dims) < 1 {
		return nil, false
	}
	w, ok := float32Tensor(wt)
	if !ok {
		return nil, false
	}
	c := int(wt.Dims[0])
	if c <= 0 || len(w)%c != 0 {
		return nil, false
	}
	params := make([][]float32, 4) // γ, β, mean, var
	for i := range params {
		t := l.consts[bn.Input[1+i]]
		if t == nil {
			return nil, false
		}
		if params[i], ok = float32Tensor(t); !ok || len(params[i]) != c {
			return nil, false
		}
	}
	var bias []float32
	if len(conv.Input) > 2 && conv.Input[2] != "" {
		t := l.consts[conv.Input[2]]
		if t == nil {
			return nil, false
		}
		if bias, ok = float32Tensor(t); !ok || len(bias) != c {
			return nil, false
		}
	}
	eps := 1e-5
	if a := attr(bn, "epsilon"); a != nil {
		eps = float64(a.F)
	}
	per := len(w) / c
	scaled := make([]float32, len(w))
	shift := make([]float32, c)
	for o := range c {
		s := float64(params[0][o]) / math.Sqrt(float64(params[3][o])+eps)
		for i := o * per; i < (o+1)*per; i++ {
			scaled[i] = float32(float64(w[i]) * s)
		}
		b := 0.0
		if bias != nil {
			b = float64(bias[o])
		}
		shift[o] = float32((b-float64(params[2][o]))*s + float64(params[1][o]))
	}
	wName, bName := l.name(conv.Input[1]+"/bn_folded"), l.name(bn.Name+"/bn_folded_bias")
	l.initializer(wName, floatsTensor(scaled, wt.Dims...))
	l.initializer(bName, floatsTensor(shift, int64(c)))
	return []string{wName, bName}, true
}

// initializer adds t to the graph's initializers under name.
func (l *legalizer) initializer(name string, t *protos.TensorProto) {
	t.Name = name
	l.g.Initializer = append(l.g.Initializer, t)
	l.consts[name] = t
}

// float32Tensor decodes a float32 tensor from float_data or raw_data (little-endian).
func float32Tensor(t *protos.TensorProto) ([]float32, bool) {
	if t.DataType != int32(protos.TensorProto_FLOAT) {
		return nil, false
	}
	n := 1
	for _, d := range t.Dims {
		n *= int(d)
	}
	switch {
	case len(t.FloatData) == n:
		return t.FloatData, true
	case len(t.RawData) == 4*n:
		out := make([]float32, n)
		for i := range out {
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(t.RawData[4*i:]))
		}
		return out, true
	}
	return nil, false
}
