package camviz

// UnregisterMethod lets the package's tests remove the probe methods they register.
var UnregisterMethod = unregisterMethod
