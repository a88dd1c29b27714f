package main

import (
	"github.com/camviz/camviz/camviz"
)

// layoutFlags are explain's --tokens, --drop-tokens and --channels-last: the layout of
// the explained layers when it is not the model's own (see camviz.LayerLayout).
type layoutFlags struct {
	tokens       string
	dropTokens   int
	channelsLast bool
}

func (l *layoutFlags) register(fs *flagSet) {
	fs.StringVar(&l.tokens, "tokens", "", "the explained token layers' patch grid HxW, e.g. 14x14 (default: inferred)")
	fs.IntVar(&l.dropTokens, "drop-tokens", -1, "number of leading class/distillation tokens to drop (default: inferred;\n"+
		"T - h·w when --tokens is given; 0 without --tokens infers the grid)")
	fs.BoolVar(&l.channelsLast, "channels-last", false, "the explained layers are channels-last [N,h,w,C] blocks inside an\n"+
		"NCHW model (default: inferred from the shape)")
}

// layouts returns camviz's per-layer layouts for the explained layers, or nil when no
// layout flag was given (every layout is inferred).
func (l *layoutFlags) layouts(layers []string) (map[string]camviz.LayerLayout, error) {
	if l.dropTokens < -1 {
		return nil, usagef("--drop-tokens %d: give a number of tokens ≥ 0", l.dropTokens)
	}
	if l.tokens == "" && l.dropTokens < 0 && !l.channelsLast {
		return nil, nil
	}
	var lay camviz.LayerLayout
	switch {
	case l.channelsLast && (l.tokens != "" || l.dropTokens >= 0):
		return nil, usagef("--channels-last is for [N,h,w,C] feature maps, --tokens and --drop-tokens for tokens [N,T,D]: give one kind")
	case l.channelsLast:
		lay.Kind = camviz.LayoutChannelsLast
	default:
		lay.Kind = camviz.LayoutTokens
		if l.tokens != "" {
			grid, err := camviz.ParseTokenGrid(l.tokens)
			if err != nil {
				return nil, usagef("--tokens: %v", err)
			}
			lay.TokenGrid = grid
		}
		if l.dropTokens > 0 {
			lay.DropTokens = l.dropTokens
		}
	}
	out := make(map[string]camviz.LayerLayout, len(layers))
	for _, name := range layers {
		out[name] = lay
	}
	return out, nil
}
