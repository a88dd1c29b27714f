package models

import (
	"github.com/gomlx/compute-onnx/support/protos"
)

// freeBatch lets a model whose image input is fixed to a batch of one (CNTK's and many
// converters' exports: mnist-8's input is [1, 1, 28, 28]) take any batch, as camviz's
// Explainer feeds batches (Score-CAM and Ablation-CAM run their perturbed copies in chunks
// of images): the input's first axis becomes dynamic, and the Reshapes that baked the
// batch of one into their target shape (mnist-8 reshapes [1, 16, 4, 4] to the constant
// [1, 256]) get −1 there instead. A Reshape qualifies when its target shape is a constant
// starting with 1 and its input's inferred shape starts with the batch of one: for a
// batch of one the result is the same. Other constants that bake the batch in (a
// Concat with a [1, …] constant, say) make a larger batch fail to build, with an error
// naming the node. It returns whether the input was
// fixed to one.
func (l *legalizer) freeBatch(input string) bool {
	for _, in := range l.g.Input {
		if in.Name != input {
			continue
		}
		dims := in.GetType().GetTensorType().GetShape().GetDim()
		if len(dims) == 0 || dims[0].GetDimValue() != 1 {
			return false
		}
		dims[0].Value = &protos.TensorShapeProto_Dimension_DimParam{DimParam: "camviz_batch"}
		return true
	}
	return false
}

// freeReshapeBatch rewrites a Reshape's constant target shape [1, …] to [−1, d1, …] (see
// freeBatch) when its input x (inferred dimensions) starts with the batch of one; d1, …
// are the output's dimensions for the batch of one, so that a −1 elsewhere in the
// target ([1, −1], mnist-8's [1, 256]) keeps the batch apart either way.
func (l *legalizer) freeReshapeBatch(n *protos.NodeProto, x []int) {
	if n.OpType != "Reshape" || len(n.Input) < 2 || len(x) == 0 || x[0] != 1 {
		return
	}
	t := l.consts[n.Input[1]]
	if t == nil {
		return
	}
	shape := tensorInts(t)
	if len(shape) < 2 || shape[0] != 1 {
		return
	}
	out := reshapeDims(x, shape, intAttrOr(n, "allowzero", 0) != 0)
	if out == nil {
		return
	}
	free := []int64{-1}
	for _, d := range out[1:] {
		free = append(free, int64(d))
	}
	n.Input[1] = l.constant(n.Output[0]+"/batch_free_shape", int64sTensor(free))
}
