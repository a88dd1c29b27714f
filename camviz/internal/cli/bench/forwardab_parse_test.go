package bench

import (
	"testing"

	"github.com/camviz/camviz/camviz/fastconv"
	"github.com/camviz/camviz/camviz/models"
)

func TestParseForwardVariants(t *testing.T) {
	vs, err := parseForwardVariants("seq=ops_sequential/nosmall; par=ops_parallel,num_executors=2@2048/small; s1=ops_sequential/small1; d=ops_sequential")
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 4 || vs[2].small != fastconv.SmallProductsOn || vs[2].smallEntries != 1 ||
		vs[3].small != fastconv.SmallProducts || vs[3].smallEntries != fastconv.SmallProductEntries || vs[0].name != "seq" || vs[0].config != "ops_sequential" ||
		vs[1].name != "par" || vs[1].config != "ops_parallel,num_executors=2" || vs[1].chunkBytes != 2048<<10 || vs[0].small != fastconv.SmallProductsOff || vs[1].small != fastconv.SmallProductsOn {
		t.Errorf("got %+v %+v", *vs[0], *vs[1])
	}
	w, err := parseForwardVariants("a=num_executors=2/nosmall%off; b=num_executors=2%f4")
	if err != nil {
		t.Fatal(err)
	}
	if w[0].winograd != fastconv.WinogradOff || w[0].small != fastconv.SmallProductsOff || w[1].winograd != fastconv.WinogradF4 ||
		w[1].config != "num_executors=2" || vs[0].winograd != fastconv.Winograd {
		t.Errorf("Winograd suffixes: got %+v %+v", *w[0], *w[1])
	}
	f, err := parseForwardVariants("a=num_executors=2%off+nofold; b=num_executors=2+nobnfold; c=num_executors=2/nosmall+noconstfold; d=num_executors=2")
	if err != nil {
		t.Fatal(err)
	}
	if f[0].constFold || f[0].bnFold || f[0].winograd != fastconv.WinogradOff || f[1].constFold != fastconv.ConstFold || f[1].bnFold ||
		f[2].constFold || f[2].bnFold != models.FoldBatchNorm || f[2].small != fastconv.SmallProductsOff || f[3].constFold != fastconv.ConstFold ||
		f[3].bnFold != models.FoldBatchNorm || f[1].config != "num_executors=2" {
		t.Errorf("fold suffixes: got %+v %+v %+v %+v", *f[0], *f[1], *f[2], *f[3])
	}
	for _, bad := range []string{"", "noequals", "a=ops_sequential+fold", "a=ops_sequential@0", "a=ops_sequential@x", "a=ops_sequential/small0", "a=ops_sequential/smallx", "a=ops_sequential%f3"} {
		if _, err := parseForwardVariants(bad); err == nil {
			t.Errorf("parseForwardVariants(%q): no error", bad)
		}
	}
}
