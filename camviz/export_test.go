package camviz

// UnregisterMethod lets the package's tests remove the probe methods they register.
var UnregisterMethod = unregisterMethod

// LowerGCPercentWhileRunning lets the package's tests check the collector setting of
// chunked runs.
var LowerGCPercentWhileRunning = lowerGCPercentWhileRunning

// ChunkedRows lets the package's tests run the chunk loop on its own.
var ChunkedRows = chunkedRows
