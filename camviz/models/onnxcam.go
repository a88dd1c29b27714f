package models

import (
	"github.com/gomlx/compute-onnx/support/protos"
)

// onnxCAMIdentityTap names the identity matrix [C, C] that serves as CAM's classifier
// weights when the scores are the global average pooling of a C-channel layer.
const onnxCAMIdentityTap = "camviz.cam_identity"

// maxIdentityCAMClasses bounds C for that identity (4096: 64 MiB in float32), which every
// graph of the model builds; a model with more classes gets no CAM weights.
const maxIdentityCAMClasses = 4096

// pooledScoreLayer returns the layer whose global average pooling IS the score: the input
// of a GlobalAveragePool from which the score is reached through shape-only ops
// (Flatten, Reshape, Squeeze, Identity), or "" when the score is anything else.
//
// Such heads (SqueezeNet's conv10 → Relu → GlobalAveragePool, network-in-network and
// all-convolutional classifiers) have no fully connected layer after the pooling: the
// layer L has one channel per class and score_c = (1/(h·w)) Σ_ij L_c(i,j). CAM (Zhou et
// al. 2016, M_c = Σ_k w_ck f_k with score_c = Σ_k w_ck · GAP(f_k)) is then exact at L with
// w = the identity: the class activation map of class c is channel c of L itself.
func pooledScoreLayer(gr *protos.GraphProto, score string) string {
	producer := producers(gr.GetNode())
	name := score
	for range len(gr.GetNode()) + 1 {
		n := producer[name]
		if n == nil || len(n.GetInput()) == 0 {
			return ""
		}
		switch n.GetOpType() {
		case "GlobalAveragePool":
			return n.GetInput()[0]
		case "Flatten", "Reshape", "Squeeze", "Identity":
			name = n.GetInput()[0]
		default:
			return ""
		}
	}
	return ""
}
