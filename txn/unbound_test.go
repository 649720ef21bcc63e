package txn

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestOnlyRequestsLeaveBeforeTheirWrites pins which messages a driver may send before the
// output's writes are durable: a message that carries a vote, an acceptance, a decision, a
// ballot or replica state must wait, or a crash could take back what it told someone.
func TestOnlyRequestsLeaveBeforeTheirWrites(t *testing.T) {
	unbound := map[MsgType]bool{MsgRead: true, MsgPrepare: true, MsgOutcome: true, MsgSubscribe: true, MsgPull: true}
	for ty := MsgType(1); ty <= maxMsgType; ty++ {
		require.Equal(t, unbound[ty], Message{Type: ty}.Unbound(), "%s", msgNames[ty])
	}
}
