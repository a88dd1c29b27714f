//go:build race

package camviz_test

// raceEnabled says the test binary runs under the race detector, whose shadow memory
// (5–10× the program's) makes resident-set measurements meaningless.
const raceEnabled = true
