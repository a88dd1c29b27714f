package camviz

// UnregisterMethod lets the package's tests remove the probe methods they register.
var UnregisterMethod = unregisterMethod

// ScoreCAMSkipping is scoreCAM with the skipping of constant chunks on or off, and the
// number of passes it skipped.
var ScoreCAMSkipping = scoreCAM
