package storetest

import (
	"fmt"
	"slices"
)

// versions cross-checks reads against writes in workloads whose values are not unique (bank
// balances, counters). Every committed transaction installs version v+1 of each key it writes
// from version v, so a (key, version) pair names exactly one committed write:
//   - two acknowledged writes of the same (key, version) are a lost update;
//   - a read of (key, version) must return the value of the write that installed it, when that
//     write was acknowledged, and some attempted write's value when it was not.
type versions struct {
	acked    map[verKey]string
	possible map[verKey][]string // writes of unknown outcome
	failed   map[verKey][]string // writes that returned an error: descriptions, for diagnosis
	reads    []verRead
	errs     []string
}

type verKey struct {
	key string
	ver uint64
}

type verRead struct {
	verKey
	val   string
	found bool
}

func newVersions() *versions {
	return &versions{acked: map[verKey]string{}, possible: map[verKey][]string{}, failed: map[verKey][]string{}}
}

func (v *versions) ack(key string, ver uint64, val string) {
	k := verKey{key, ver}
	if old, dup := v.acked[k]; dup {
		v.errs = append(v.errs, fmt.Sprintf("lost update: two acknowledged writes installed %s version %d (%q and %q)", key, ver, old, val))
		return
	}
	v.acked[k] = val
}

func (v *versions) maybe(key string, ver uint64, val string) {
	k := verKey{key, ver}
	v.possible[k] = append(v.possible[k], val)
}

// fail records a write attempt that returned an error, described by desc.
func (v *versions) fail(key string, ver uint64, desc string) {
	k := verKey{key, ver}
	v.failed[k] = append(v.failed[k], desc)
}

func (v *versions) read(key string, ver uint64, val string, found bool) {
	v.reads = append(v.reads, verRead{verKey{key, ver}, val, found})
}

// check judges every read against the writes; call it once the history is complete.
func (v *versions) check() []string {
	errs := slices.Clone(v.errs)
	for _, r := range v.reads {
		if r.ver == 0 {
			if r.found {
				errs = append(errs, fmt.Sprintf("read %s: found %q at version 0", r.key, r.val))
			}
			continue
		}
		if !r.found {
			errs = append(errs, fmt.Sprintf("read %s: absent at version %d, but this workload never deletes", r.key, r.ver))
			continue
		}
		if w, ok := v.acked[r.verKey]; ok {
			if w != r.val {
				errs = append(errs, fmt.Sprintf("read %s version %d: %q, but the acknowledged write of that version wrote %q", r.key, r.ver, r.val, w))
			}
			continue
		}
		if !slices.Contains(v.possible[r.verKey], r.val) {
			errs = append(errs, fmt.Sprintf("read %s version %d: %q, written by no acknowledged or pending transaction (an aborted write became visible?); failed attempts at that version: %v",
				r.key, r.ver, r.val, v.failed[r.verKey]))
		}
	}
	if len(errs) > 10 {
		errs = append(errs[:10], fmt.Sprintf("... and %d more", len(errs)-10))
	}
	return errs
}
