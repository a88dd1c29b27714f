package fastconv

import "testing"

// TestVariablesAsParameters checks the capability switch: the Go backend prefers
// constants for variables; while VariablesAsParameters calls are in force (they nest,
// and a done function called twice counts once) the wrapper reports that it does not.
func TestVariablesAsParameters(t *testing.T) {
	b := Wrap(native()).(*Backend)
	if !native().Capabilities().PreferConstantsForVariables {
		t.Fatal("the Go backend no longer prefers constants for variables: VariablesAsParameters is moot, revisit it")
	}
	prefers := func() bool { return b.Capabilities().PreferConstantsForVariables }
	if !prefers() {
		t.Fatal("wrapper changed PreferConstantsForVariables without a VariablesAsParameters call")
	}
	done1 := b.VariablesAsParameters()
	done2 := b.VariablesAsParameters()
	if prefers() {
		t.Error("PreferConstantsForVariables still true inside VariablesAsParameters")
	}
	done1()
	done1() // counts once
	if prefers() {
		t.Error("PreferConstantsForVariables true again while a second call is in force")
	}
	done2()
	if !prefers() {
		t.Error("PreferConstantsForVariables not restored after the last done")
	}
	if !native().Capabilities().PreferConstantsForVariables {
		t.Error("the inner backend's capabilities were modified")
	}
}
