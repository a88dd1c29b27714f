package tailslack

import (
	"fmt"
	"os"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"unsafe"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
)

// Slack is the number of bytes allocated past the end of every backend buffer: a tail
// load reads at most one 64-byte vector starting inside the slice, so at most 60 bytes
// past its end.
const Slack = 64

// EnvVar overrides Slack in bytes ("0" restores the backend's unpadded allocations).
const EnvVar = "CAMVIZ_SIMD_TAIL_SLACK"

// maxBucketBits bounds the bucket sizes pools are installed for: 2⁴⁶ bytes (64 TiB).
const maxBucketBits = 46

// allocate makes the bytes of one buffer; tests replace it with an allocator that puts
// the end of the allocation against an unmapped guard page.
var allocate = func(n int) []byte { return make([]byte, n) }

// Install pads every buffer that b, GoMLX's pure-Go backend, allocates from now on with
// Slack bytes (see the package documentation for the fault this prevents). Other
// backends (XLA) are left alone and Install returns nil. It returns an error, changing
// nothing, when b's internals are not the layout this package knows (a compute version
// other than the one camviz pins); the error names what differed.
func Install(b compute.Backend) error {
	pools, bufType, keyType, err := inspect(b)
	if err != nil || pools == nil {
		return err
	}
	if _, done := installedSlack(pools, bufType, keyType); done {
		return nil
	}
	slack, err := slackFromEnv()
	if err != nil {
		return err
	}
	for _, size := range bucketSizes() {
		pools.Store(poolKey(keyType, size), &sync.Pool{New: newBuffer(bufType, size, slack)})
	}
	return nil
}

// Installed reports whether Install patched b, and with how many bytes of slack.
func Installed(b compute.Backend) (slack int, ok bool) {
	pools, bufType, keyType, err := inspect(b)
	if err != nil || pools == nil {
		return 0, false
	}
	return installedSlack(pools, bufType, keyType)
}

// inspect returns the pools, buffer type and pool key type of b when it is the pure-Go
// backend (nil pools, nil error for any other backend).
func inspect(b compute.Backend) (pools *sync.Map, bufType, keyType reflect.Type, err error) {
	if b == nil {
		return nil, nil, nil, nil
	}
	v := reflect.ValueOf(b)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return nil, nil, nil, nil
	}
	t := v.Elem().Type()
	if t.Name() != "Backend" || !strings.HasSuffix(t.PkgPath(), "github.com/gomlx/compute/internal/gobackend") {
		return nil, nil, nil, nil // not the pure-Go backend: nothing to do
	}
	if pools, err = bufferPools(v); err != nil {
		return nil, nil, nil, err
	}
	if bufType, keyType, err = probeTypes(b, pools); err != nil {
		return nil, nil, nil, err
	}
	return pools, bufType, keyType, nil
}

// poolKey makes the backend's pool key for a bucket size.
func poolKey(keyType reflect.Type, size int) any {
	key := reflect.New(keyType).Elem()
	*(*int)(unsafe.Pointer(key.Field(0).UnsafeAddr())) = size
	return key.Interface()
}

// installedSlack reads the slack of an installed pool (the 64-byte bucket's) from a
// buffer its New makes: capacity minus length.
func installedSlack(pools *sync.Map, bufType, keyType reflect.Type) (int, bool) {
	p, ok := pools.Load(poolKey(keyType, 64))
	if !ok {
		return 0, false
	}
	pool, ok := p.(*sync.Pool)
	if !ok || pool.New == nil {
		return 0, false
	}
	buf := reflect.ValueOf(pool.New())
	if buf.Type() != bufType {
		return 0, false
	}
	raw := buf.Elem().FieldByName("RawBytes")
	return raw.Cap() - raw.Len(), true
}

// slackFromEnv returns Slack, or the value of $CAMVIZ_SIMD_TAIL_SLACK when set.
func slackFromEnv() (int, error) {
	s := strings.TrimSpace(os.Getenv(EnvVar))
	if s == "" {
		return Slack, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > 1<<20 {
		return 0, fmt.Errorf("tailslack: $%s=%q must be a number of bytes between 0 and 1048576 (unset it for the default %d)",
			EnvVar, s, Slack)
	}
	return n, nil
}

// bufferPools returns the backend's map of buffer pools (its unexported field
// bufferPools sync.Map, keyed by bucket size).
func bufferPools(backend reflect.Value) (*sync.Map, error) {
	f := backend.Elem().FieldByName("bufferPools")
	if !f.IsValid() || f.Type() != reflect.TypeFor[sync.Map]() {
		return nil, fmt.Errorf("tailslack: the Go backend (%s) has no field bufferPools of type sync.Map: "+
			"compute's internals changed; check whether its SIMD tail loads still read past slices and update camviz/tailslack",
			backend.Elem().Type())
	}
	return (*sync.Map)(unsafe.Pointer(f.UnsafeAddr())), nil
}

// probeTypes allocates and frees one buffer to learn the backend's Buffer type and its
// pool key type, and checks the fields Install relies on.
func probeTypes(b compute.Backend, pools *sync.Map) (bufType, keyType reflect.Type, err error) {
	buf, err := b.BufferFromFlatData(0, []float32{0}, shapes.Make(dtypes.Float32, 1))
	if err != nil {
		return nil, nil, fmt.Errorf("tailslack: probing the Go backend's buffers: %w", err)
	}
	bufType = reflect.TypeOf(buf)
	_ = buf.Finalize()
	if bufType.Kind() != reflect.Pointer || bufType.Elem().Kind() != reflect.Struct {
		return nil, nil, fmt.Errorf("tailslack: the Go backend's buffer is a %s, not a pointer to a struct", bufType)
	}
	if f, ok := bufType.Elem().FieldByName("RawBytes"); !ok || f.Type != reflect.TypeFor[[]byte]() || !f.IsExported() {
		return nil, nil, fmt.Errorf("tailslack: the Go backend's buffer %s has no exported RawBytes []byte field", bufType)
	}
	pools.Range(func(k, _ any) bool {
		keyType = reflect.TypeOf(k)
		return false
	})
	if keyType == nil || keyType.Kind() != reflect.Struct || keyType.NumField() != 1 ||
		keyType.Field(0).Type.Kind() != reflect.Int {
		return nil, nil, fmt.Errorf("tailslack: the Go backend's buffer pool key is %v, not a struct of one int "+
			"(compute's internals changed; update camviz/tailslack)", keyType)
	}
	return bufType, keyType, nil
}

// newBuffer returns a sync.Pool New function making a backend Buffer whose RawBytes
// has length size (the bucket the pool serves, so the buffer returns to it) and
// capacity size+slack.
func newBuffer(bufType reflect.Type, size, slack int) func() any {
	return func() any {
		raw := allocate(size + slack)
		buf := reflect.New(bufType.Elem())
		buf.Elem().FieldByName("RawBytes").SetBytes(raw[:size])
		return buf.Interface()
	}
}

// bucketSizes lists every value compute's support.TwoBitBucketLen returns for a
// positive size up to 2^maxBucketBits: 1, 2, 3, then 2ᵏ and 3·2ᵏ⁻¹ for k ≥ 2.
func bucketSizes() []int {
	sizes := []int{1, 2, 3}
	for k := 2; k <= maxBucketBits; k++ {
		sizes = append(sizes, 1<<k, (1<<k)|(1<<(k-1)))
	}
	return sizes
}
