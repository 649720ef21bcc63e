package main

import (
	"fmt"
	"math/bits"
	"slices"
	"time"
)

// latencyHist is a log-linear latency histogram in microseconds: exact below 128 µs, then 64
// buckets per power of two (at most 1.6 % error), so peers can send compact histograms that
// merge exactly, instead of every sample.
type latencyHist struct {
	counts map[int]int64
	n      int64
}

func newLatencyHist() *latencyHist { return &latencyHist{counts: map[int]int64{}} }

func histBucket(us uint64) int {
	if us < 128 {
		return int(us)
	}
	shift := bits.Len64(us) - 7
	return shift*64 + int(us>>shift)
}

// histLow is the smallest value (µs) in bucket i; histHigh the first value past it.
func histLow(i int) uint64 {
	if i < 128 {
		return uint64(i)
	}
	shift := i/64 - 1
	return uint64(i-shift*64) << shift
}

func histHigh(i int) uint64 {
	if i < 128 {
		return uint64(i) + 1
	}
	return histLow(i) + 1<<(i/64-1)
}

func (h *latencyHist) add(d time.Duration) {
	us := d.Microseconds()
	if us < 0 {
		us = 0
	}
	h.counts[histBucket(uint64(us))]++
	h.n++
}

func (h *latencyHist) merge(o *latencyHist) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
}

// quantile returns the q-quantile (0..1) as the middle of its bucket; 0 when empty.
func (h *latencyHist) quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := int64(q*float64(h.n-1)) + 1 // 1-based rank of the sample
	idx := make([]int, 0, len(h.counts))
	for i := range h.counts {
		idx = append(idx, i)
	}
	slices.Sort(idx)
	var seen int64
	for _, i := range idx {
		seen += h.counts[i]
		if seen >= rank {
			mid := (histLow(i) + histHigh(i) - 1) / 2
			if i < 128 {
				mid = histLow(i)
			}
			return time.Duration(mid) * time.Microsecond
		}
	}
	return 0
}

// pairs is the wire form: [bucket, count] sorted by bucket.
func (h *latencyHist) pairs() [][2]int64 {
	out := make([][2]int64, 0, len(h.counts))
	for i, c := range h.counts {
		out = append(out, [2]int64{int64(i), c})
	}
	slices.SortFunc(out, func(a, b [2]int64) int { return int(a[0] - b[0]) })
	return out
}

func histFromPairs(ps [][2]int64) (*latencyHist, error) {
	h := newLatencyHist()
	for _, p := range ps {
		if p[0] < 0 || p[0] > 64*64 || p[1] < 0 {
			return nil, fmt.Errorf("bad histogram bucket %v", p)
		}
		h.counts[int(p[0])] += p[1]
		h.n += p[1]
	}
	return h, nil
}
