package datasets

import (
	"math/bits"
	"math/rand/v2"
)

// prng is a small, platform-independent random source over math/rand/v2's PCG.
// rand.Rand.IntN takes a different path on 32-bit platforms, so bounded integers are
// drawn here with Lemire's multiply-and-reject method on 64-bit words, which gives
// the same values on every architecture.
type prng struct{ src *rand.PCG }

// splitmix64 is the SplitMix64 finalizer (Steele, Lea and Flood 2014), used to turn
// consecutive example indices into well-spread PCG stream seeds.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// newPRNG returns the generator of item i of a dataset with the given seed and
// domain (a constant that keeps different generators apart for the same seed).
func newPRNG(seed, domain, i uint64) *prng {
	return &prng{src: rand.NewPCG(seed, splitmix64(i^splitmix64(domain)))}
}

// intn returns a uniform integer in [0, n); n must be > 0.
func (r *prng) intn(n int) int {
	if n <= 1 {
		return 0
	}
	un := uint64(n)
	hi, lo := bits.Mul64(r.src.Uint64(), un)
	if lo < un {
		thresh := -un % un
		for lo < thresh {
			hi, lo = bits.Mul64(r.src.Uint64(), un)
		}
	}
	return int(hi)
}

// between returns a uniform integer in [lo, hi] (inclusive); hi < lo returns lo.
func (r *prng) between(lo, hi int) int {
	if hi <= lo {
		return lo
	}
	return lo + r.intn(hi-lo+1)
}

// signed returns a uniform integer in [-a, a].
func (r *prng) signed(a int) int { return r.between(-a, a) }

// coin returns true with probability 1/2.
func (r *prng) coin() bool { return r.src.Uint64()>>63 == 1 }

// perm returns a uniform random permutation of [0, n) (Fisher-Yates).
func (r *prng) perm(n int) []int {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	for i := n - 1; i > 0; i-- {
		j := r.intn(i + 1)
		p[i], p[j] = p[j], p[i]
	}
	return p
}
