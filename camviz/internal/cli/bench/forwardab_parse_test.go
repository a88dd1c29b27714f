package bench

import "testing"

func TestParseForwardVariants(t *testing.T) {
	vs, err := parseForwardVariants("seq=ops_sequential; par=ops_parallel,num_executors=2@2048/small")
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 2 || vs[0].name != "seq" || vs[0].config != "ops_sequential" ||
		vs[1].name != "par" || vs[1].config != "ops_parallel,num_executors=2" || vs[1].chunkBytes != 2048<<10 || vs[0].small || !vs[1].small {
		t.Errorf("got %+v %+v", *vs[0], *vs[1])
	}
	for _, bad := range []string{"", "noequals", "a=ops_sequential@0", "a=ops_sequential@x"} {
		if _, err := parseForwardVariants(bad); err == nil {
			t.Errorf("parseForwardVariants(%q): no error", bad)
		}
	}
}
