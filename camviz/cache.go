package camviz

import (
	"container/list"
	"fmt"
	"sync"

	"github.com/gomlx/compute/shapes"
)

// DefaultMaxCompiledGraphs is the number of compiled explanation graphs an Explainer
// keeps when Config.MaxCompiledGraphs is 0.
const DefaultMaxCompiledGraphs = 16

// graphKey identifies one compiled explanation graph: the target's graph kind and the
// images' shape. Class and softmax targets take their classes as a graph input, so
// every class shares one graph; argmax has one; each function target (by name) has
// its own.
func graphKey(target Target, images shapes.Shape) string {
	kind := fmt.Sprintf("%d", target.kind)
	if target.kind == targetFunc {
		kind += "/" + target.name
	}
	return kind + "|" + images.String()
}

// graphCache holds an Explainer's compiled graphs, at most max of them, evicting the
// least recently used. An entry in use by an Explain call is finalized only when
// that call has finished with it (users counts them).
type graphCache struct {
	mu      sync.Mutex
	max     int
	lru     *list.List // of *cacheEntry, most recently used first
	entries map[string]*list.Element
}

type cacheEntry struct {
	key     string
	ex      *explainExec
	users   int
	evicted bool
}

func newGraphCache(max int) *graphCache {
	if max <= 0 {
		max = DefaultMaxCompiledGraphs
	}
	return &graphCache{max: max, lru: list.New(), entries: map[string]*list.Element{}}
}

// acquire returns the entry for key, made with create when absent, marked in use and
// most recently used; the caller must release it. Adding an entry beyond max evicts
// the least recently used ones (finalized now, or by their last user's release).
func (c *graphCache) acquire(key string, create func() (*explainExec, error)) (*cacheEntry, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[key]; ok {
		c.lru.MoveToFront(el)
		e := el.Value.(*cacheEntry)
		e.users++
		return e, nil
	}
	ex, err := create()
	if err != nil {
		return nil, err
	}
	e := &cacheEntry{key: key, ex: ex, users: 1}
	c.entries[key] = c.lru.PushFront(e)
	for c.lru.Len() > c.max {
		old := c.lru.Back()
		c.lru.Remove(old)
		victim := old.Value.(*cacheEntry)
		delete(c.entries, victim.key)
		victim.evicted = true
		if victim.users == 0 {
			victim.ex.exec.Finalize()
		}
	}
	return e, nil
}

// release ends one use of e, finalizing it when it was evicted meanwhile.
func (c *graphCache) release(e *cacheEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e.users--
	if e.evicted && e.users == 0 {
		e.ex.exec.Finalize()
	}
}

// len returns the number of compiled graphs kept.
func (c *graphCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}

// CompiledGraphs returns how many compiled explanation graphs the Explainer keeps now
// (at most Config.MaxCompiledGraphs).
func (e *Explainer) CompiledGraphs() int { return e.cache.len() }
