package camviz

import (
	_ "github.com/gomlx/compute/gobackend"
	_ "github.com/gomlx/go-xla/compute/xla"
	_ "github.com/gomlx/gomlx/core/graph"
	_ "github.com/gomlx/gomlx/core/tensors"
	_ "github.com/gomlx/gomlx/ml/layers"
	_ "github.com/gomlx/gomlx/ml/model"
	_ "github.com/gomlx/gomlx/ml/model/checkpoint"
	_ "github.com/gomlx/gomlx/ml/train"
	_ "github.com/gomlx/gomlx/ml/train/loss"
	_ "github.com/gomlx/gomlx/ml/train/optimizer"
	_ "github.com/gomlx/gomlx/ml/train/metric"
	_ "github.com/gomlx/gomlx/ui/commandline"
	_ "github.com/gomlx/gomlx/support/testutil"
	_ "github.com/gomlx/onnx-gomlx/onnx"
	_ "github.com/janpfeifer/gonb/gonbui"
	_ "gonum.org/v1/plot"
	_ "golang.org/x/image/font/basicfont"
)
