package storetest

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/detrans/detrans/txn"
)

// Bank is the serializability workload: transfers move money between two accounts in one
// transaction (read both, commit both writes naming the versions read); auditors read every
// account and commit a validation of all the versions read (ops with Write = false), so an
// audit that commits saw one consistent snapshot. Serializability demands that every committed
// audit sees the initial total and no negative balance (transfers never overdraw the balance
// they read). An account never written holds Initial.
type Bank struct {
	Accounts    int
	Initial     int64
	Transferers int
	Auditors    int
	Think       time.Duration // pause between a transferer's transfers, uniform in [0, Think]
	AuditThink  time.Duration // pause between an auditor's audits (audits touch every account: costly)
	Retries     int           // attempts of one transfer that conflicts

	w   *World
	ver *versions

	Transfers, Unknown, Conflicts, NoQuorum int
	Audits, AuditConflicts                  int
	errs                                    []string
}

func (b *Bank) account(i int) string { return "acct-" + strconv.Itoa(i) }

// Total is the money in the bank.
func (b *Bank) Total() int64 { return int64(b.Accounts) * b.Initial }

// Start launches the transfer and audit clients.
func (b *Bank) Start(w *World) {
	b.w, b.ver = w, newVersions()
	if b.Accounts < 2 {
		b.errs = append(b.errs, fmt.Sprintf("bank: %d accounts: transfers need two", b.Accounts))
		return
	}
	for range b.Transferers {
		w.S.After(b.think(), func() { b.transfer(b.Retries) })
	}
	for range b.Auditors {
		w.S.After(b.auditThink(), func() { b.audit(nil) })
	}
}

func (b *Bank) think() time.Duration { return time.Duration(b.w.Rand.Int64N(int64(b.Think) + 1)) }

func (b *Bank) auditThink() time.Duration {
	return time.Duration(b.w.Rand.Int64N(int64(b.AuditThink) + 1))
}

// balance decodes a read of an account.
func (b *Bank) balance(ev txn.Event) (int64, error) {
	if !ev.Found {
		return b.Initial, nil
	}
	n, err := strconv.ParseInt(string(ev.Value), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("account %s holds %q: %w", ev.Key, ev.Value, err)
	}
	return n, nil
}

// readAll reads keys one after the other on addr (from its own replicas where they can answer,
// when local is set: see World.TxRead) and hands the events to done; nil when a read failed or
// the peer crashed.
func (b *Bank) readAll(addr string, keys []string, local bool, done func(evs []txn.Event)) {
	var evs []txn.Event
	var step func()
	step = func() {
		if len(evs) == len(keys) {
			done(evs)
			return
		}
		k := keys[len(evs)]
		if !b.w.TxRead(addr, []byte(k), local, func(ev txn.Event, lost bool) {
			if lost || ev.Err != nil {
				done(nil)
				return
			}
			b.ver.read(k, ev.Version, string(ev.Value), ev.Found)
			evs = append(evs, ev)
			step()
		}) {
			done(nil)
		}
	}
	step()
}

// transfer runs one transfer, retrying a conflict up to left more times, then schedules the next.
func (b *Bank) transfer(left int) {
	w := b.w
	if w.Stopped() {
		return
	}
	next := func() { w.S.After(b.think(), func() { b.transfer(b.Retries) }) }
	from := w.Rand.IntN(b.Accounts)
	to := (from + 1 + w.Rand.IntN(b.Accounts-1)) % b.Accounts
	keys := []string{b.account(from), b.account(to)}
	addr := w.RandomLive()
	// The first attempt reads local replicas, as node.Tx does; a retry reads quorums.
	b.readAll(addr, keys, left == b.Retries, func(evs []txn.Event) {
		if evs == nil {
			next()
			return
		}
		bf, err1 := b.balance(evs[0])
		bt, err2 := b.balance(evs[1])
		if err := errors.Join(err1, err2); err != nil {
			b.errs = append(b.errs, err.Error())
			next()
			return
		}
		var amount int64
		if bf > 0 { // a negative balance is a bug the audits report; do not make it worse
			amount = w.Rand.Int64N(min(bf, 20) + 1)
		}
		vals := []string{strconv.FormatInt(bf-amount, 10), strconv.FormatInt(bt+amount, 10)}
		spec := txn.TxSpec{Ops: []txn.Op{
			{Key: []byte(keys[0]), ReadVersion: evs[0].Version, Write: true, Value: []byte(vals[0])},
			{Key: []byte(keys[1]), ReadVersion: evs[1].Version, Write: true, Value: []byte(vals[1])},
		}}
		if w.Rand.IntN(2) == 0 {
			spec.Ops[0], spec.Ops[1] = spec.Ops[1], spec.Ops[0] // the first key picks the acceptors
		}
		call := w.S.Now()
		ok := w.Commit(addr, spec, func(ev txn.Event, lost bool) {
			switch {
			case lost || isUnknown(ev.Err):
				b.Unknown++
				for i := range keys {
					b.ver.maybe(keys[i], evs[i].Version+1, vals[i])
				}
			case ev.Err == nil:
				b.Transfers++
				for i := range keys {
					b.ver.ack(keys[i], evs[i].Version+1, vals[i])
				}
			case errors.Is(ev.Err, txn.ErrConflict):
				b.Conflicts++
				for i := range keys {
					b.ver.fail(keys[i], evs[i].Version+1, attempt(addr, vals[i], call, w, ev))
				}
				if left > 0 && !w.Stopped() {
					b.transfer(left - 1)
					return
				}
			case errors.Is(ev.Err, txn.ErrNoQuorum):
				b.NoQuorum++
				for i := range keys {
					b.ver.fail(keys[i], evs[i].Version+1, attempt(addr, vals[i], call, w, ev))
				}
			default:
				b.errs = append(b.errs, fmt.Sprintf("transfer: unexpected error %v", ev.Err))
			}
			next()
		})
		if !ok {
			next()
		}
	})
}

// audit reads every account and commits a validation of the versions read. done, when set, is
// called with whether the audit committed (the final audit); otherwise the auditor loops.
func (b *Bank) audit(done func(ok bool)) {
	w := b.w
	if done == nil && w.Stopped() {
		return
	}
	finish := func(ok bool) {
		if done != nil {
			done(ok)
			return
		}
		w.S.After(b.auditThink(), func() { b.audit(nil) })
	}
	keys := make([]string, b.Accounts)
	for i := range keys {
		keys[i] = b.account(i)
	}
	addr := w.RandomLive()
	// Looping auditors read local replicas; the final audit, which must commit, reads quorums.
	b.readAll(addr, keys, done == nil, func(evs []txn.Event) {
		if evs == nil {
			finish(false)
			return
		}
		spec := txn.TxSpec{}
		for i, ev := range evs {
			spec.Ops = append(spec.Ops, txn.Op{Key: []byte(keys[i]), ReadVersion: ev.Version})
		}
		ok := w.Commit(addr, spec, func(ev txn.Event, lost bool) {
			if lost || ev.Err != nil {
				if errors.Is(ev.Err, txn.ErrConflict) {
					b.AuditConflicts++
				}
				finish(false)
				return
			}
			b.Audits++
			b.judge(evs)
			finish(true)
		})
		if !ok {
			finish(false)
		}
	})
}

// judge checks one committed audit's snapshot.
func (b *Bank) judge(evs []txn.Event) {
	var sum int64
	var desc []string
	for _, ev := range evs {
		bal, err := b.balance(ev)
		if err != nil {
			b.errs = append(b.errs, err.Error())
			return
		}
		if bal < 0 {
			b.errs = append(b.errs, fmt.Sprintf("audit at %v: %s has a negative balance %d", time.Duration(b.w.S.Now()), ev.Key, bal))
		}
		sum += bal
		desc = append(desc, fmt.Sprintf("%s=%d@v%d", ev.Key, bal, ev.Version))
	}
	if sum != b.Total() {
		b.errs = append(b.errs, fmt.Sprintf("audit at %v: total %d, want %d: %s", time.Duration(b.w.S.Now()), sum, b.Total(), strings.Join(desc, " ")))
	}
}

// Final runs audits until one commits, for at most d of virtual time.
func (b *Bank) Final(d time.Duration) error {
	deadline := b.w.S.Now().Add(d)
	for b.w.S.Now() < deadline {
		var got, ok bool
		b.audit(func(c bool) { got, ok = true, c })
		if !b.w.Await(&got, deadline.Sub(b.w.S.Now())+10*time.Second) {
			break
		}
		if ok {
			return nil
		}
		b.w.S.RunFor(100 * time.Millisecond)
	}
	return fmt.Errorf("bank: no final audit committed within %v", d)
}

// Check reports every violation seen.
func (b *Bank) Check() error {
	errs := append(append([]string(nil), b.errs...), b.ver.check()...)
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("bank: %d violations:\n  %s", len(errs), strings.Join(errs, "\n  "))
}

// Summary is a one-line account of the workload.
func (b *Bank) Summary() string {
	return fmt.Sprintf("bank: %d transfers (%d unknown, %d conflicts, %d no quorum), %d audits (%d conflicts)",
		b.Transfers, b.Unknown, b.Conflicts, b.NoQuorum, b.Audits, b.AuditConflicts)
}
