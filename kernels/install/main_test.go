package main

import "testing"

func TestJoinPathDropsRepeats(t *testing.T) {
	got := joinPath("/a:/b", "", "/b:/c::/a", "/d")
	if want := "/a:/b:/c:/d"; got != want {
		t.Errorf("joinPath = %q, want %q", got, want)
	}
}
