package tailslack

// SetAllocator replaces the function that makes a buffer's bytes (tests only) and
// returns the previous one.
func SetAllocator(f func(n int) []byte) (previous func(n int) []byte) {
	previous, allocate = allocate, f
	return previous
}

// BucketSizes exposes bucketSizes to the tests.
var BucketSizes = bucketSizes
