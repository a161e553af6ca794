package replicas

import "sync"

// waiters are this replica's refreshes waiting for another replica's
// result, by key: the subscriber hands each published result to the
// waiters of its key. One key has at most a few (the caller's own
// single-flight makes it one per replica), so a slice is enough.
type waiters struct {
	mu sync.Mutex
	m  map[string][]chan []byte
}

func (w *waiters) init() { w.m = map[string][]chan []byte{} }

// add registers a waiter for key before it first looks for a result, so
// that a result published in between is not missed.
func (w *waiters) add(key string) chan []byte {
	c := make(chan []byte, 1)
	w.mu.Lock()
	w.m[key] = append(w.m[key], c)
	w.mu.Unlock()
	return c
}

func (w *waiters) remove(key string, c chan []byte) {
	w.mu.Lock()
	defer w.mu.Unlock()
	cs := w.m[key]
	for i, x := range cs {
		if x == c {
			cs = append(cs[:i], cs[i+1:]...)
			break
		}
	}
	if len(cs) == 0 {
		delete(w.m, key)
	} else {
		w.m[key] = cs
	}
}

// deliver hands res to every waiter of key, once: the channel has room
// for one, and a waiter reads at most one.
func (w *waiters) deliver(key string, res []byte) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, c := range w.m[key] {
		select {
		case c <- res:
		default:
		}
	}
}
