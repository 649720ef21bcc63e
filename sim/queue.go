package sim

import "github.com/detrans/detrans/ring"

// evKind says what a queued event does.
type evKind uint8

const (
	evDeliver evKind = iota + 1 // deliver message slot ref
	evCall                      // run scheduled callback ref
)

// event is a value type kept small (24 bytes) because the heap moves it around: payloads live
// in slices (slots, calls) and the event refers to them by index.
type event struct {
	at   ring.Time
	seq  uint64
	ref  int32
	kind evKind
}

func (e *event) before(o *event) bool {
	return e.at < o.at || e.at == o.at && e.seq < o.seq
}

// eventQueue is a 4-ary min-heap ordered by (at, seq). Written out instead of container/heap,
// whose interface boxing would allocate on every push.
type eventQueue struct{ h []event }

func (q *eventQueue) len() int { return len(q.h) }

func (q *eventQueue) push(e event) {
	q.h = append(q.h, e)
	i := len(q.h) - 1
	for i > 0 {
		p := (i - 1) / 4
		if !q.h[i].before(&q.h[p]) {
			break
		}
		q.h[i], q.h[p] = q.h[p], q.h[i]
		i = p
	}
}

func (q *eventQueue) peek() *event { return &q.h[0] }

func (q *eventQueue) pop() event {
	top := q.h[0]
	last := len(q.h) - 1
	q.h[0] = q.h[last]
	q.h = q.h[:last]
	i := 0
	for {
		c := 4*i + 1
		if c >= last {
			break
		}
		m := c
		for k := c + 1; k < c+4 && k < last; k++ {
			if q.h[k].before(&q.h[m]) {
				m = k
			}
		}
		if !q.h[m].before(&q.h[i]) {
			break
		}
		q.h[i], q.h[m] = q.h[m], q.h[i]
		i = m
	}
	return top
}

// tickEntry is one node's pending timer.
type tickEntry struct {
	at   ring.Time
	seq  uint64
	node int32
}

func (e *tickEntry) before(o *tickEntry) bool {
	return e.at < o.at || e.at == o.at && e.seq < o.seq
}

// tickQueue is an indexed binary min-heap with at most one entry per node, so replacing or
// cancelling a node's timer is O(log n) and leaves no stale entries behind.
type tickQueue struct {
	h   []tickEntry
	pos []int32 // pos[node] = index in h, or -1
}

func (t *tickQueue) grow(nodes int) {
	for len(t.pos) < nodes {
		t.pos = append(t.pos, -1)
	}
}

func (t *tickQueue) len() int { return len(t.h) }

func (t *tickQueue) peek() *tickEntry { return &t.h[0] }

// get returns the node's pending timer, if any.
func (t *tickQueue) get(node int32) (tickEntry, bool) {
	p := t.pos[node]
	if p < 0 {
		return tickEntry{}, false
	}
	return t.h[p], true
}

// set schedules or replaces the node's timer.
func (t *tickQueue) set(node int32, at ring.Time, seq uint64) {
	e := tickEntry{at: at, seq: seq, node: node}
	if p := t.pos[node]; p >= 0 {
		t.h[p] = e
		t.fix(int(p))
		return
	}
	t.h = append(t.h, e)
	i := len(t.h) - 1
	t.pos[node] = int32(i)
	t.up(i)
}

// remove cancels the node's timer, if any.
func (t *tickQueue) remove(node int32) {
	p := int(t.pos[node])
	if p < 0 {
		return
	}
	last := len(t.h) - 1
	t.swap(p, last)
	t.h = t.h[:last]
	t.pos[node] = -1
	if p < last {
		t.fix(p)
	}
}

func (t *tickQueue) pop() tickEntry {
	top := t.h[0]
	t.remove(top.node)
	return top
}

func (t *tickQueue) fix(i int) {
	if !t.up(i) {
		t.down(i)
	}
}

func (t *tickQueue) up(i int) bool {
	moved := false
	for i > 0 {
		p := (i - 1) / 2
		if !t.h[i].before(&t.h[p]) {
			break
		}
		t.swap(i, p)
		i = p
		moved = true
	}
	return moved
}

func (t *tickQueue) down(i int) {
	n := len(t.h)
	for {
		c := 2*i + 1
		if c >= n {
			return
		}
		if c+1 < n && t.h[c+1].before(&t.h[c]) {
			c++
		}
		if !t.h[c].before(&t.h[i]) {
			return
		}
		t.swap(i, c)
		i = c
	}
}

func (t *tickQueue) swap(i, j int) {
	t.h[i], t.h[j] = t.h[j], t.h[i]
	t.pos[t.h[i].node] = int32(i)
	t.pos[t.h[j].node] = int32(j)
}
