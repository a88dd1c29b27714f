package nb_test

import (
	"fmt"
	"strings"

	"github.com/camviz/camviz/camviz/heatmap"
	"github.com/camviz/camviz/camviz/nb"
)

// An explorer of two layers × two methods for one image: the maps are blended over the
// input in the browser, the layer is chosen with a slider and the method with buttons.
// In a GoNB cell, nb.ShowExplorer(ex) displays it; elsewhere it does nothing, and HTML()
// gives the self-contained fragment to embed in any page.
func ExampleExplorer() {
	input := heatmap.Colorize(heatmap.NewMap(32, 32), heatmap.Gray) // a black 32×32 image
	ex := nb.NewExplorer("two layers, two methods")
	if err := ex.SetInput("cat.png", input); err != nil {
		panic(err)
	}
	for _, layer := range []string{"block2", "block3"} {
		for i, method := range []string{"GradCAM", "LayerCAM"} {
			m := heatmap.NewMap(32, 32)
			for j := range m.Data {
				m.Data[j] = float32((j+i*100)%32) / 31 // some ramp
			}
			if err := ex.AddMap(nb.View{Example: "cat.png", Layer: layer, Method: method}, m, heatmap.Jet); err != nil {
				panic(err)
			}
		}
	}
	if err := nb.ShowExplorer(ex); err != nil {
		panic(err)
	}
	page, err := ex.HTML()
	if err != nil {
		panic(err)
	}
	fmt.Println(ex.Len(), "views; layers", ex.Values("layer"), "methods", ex.Values("method"))
	fmt.Println("one layer slider:", strings.Count(page, `aria-label="layer"`) == 1, "· no network:", !strings.Contains(page, "http"))
	// Output:
	// 4 views; layers [block2 block3] methods [GradCAM LayerCAM]
	// one layer slider: true · no network: true
}
