package harness

import (
	"testing"
	"time"
)

// PollInterval is how often Eventually re-checks its condition.
const PollInterval = 200 * time.Millisecond

// Eventually polls cond with a ticker until it holds, failing the test with cond's last reason
// when timeout passes. For conditions seen only from outside (a ring converging as reported by
// status), where there is no event to wait on.
func Eventually(t testing.TB, timeout time.Duration, what string, cond func() (ok bool, why string)) {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(PollInterval)
	defer tick.Stop()
	for {
		ok, why := cond()
		if ok {
			return
		}
		select {
		case <-tick.C:
		case <-deadline.C:
			t.Fatalf("%s: not reached within %s: %s", what, timeout, why)
		}
	}
}
