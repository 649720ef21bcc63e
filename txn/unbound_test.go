package txn

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestOnlyRequestsLeaveBeforeTheirWrites pins which messages a driver may send before the
// output's writes are durable: a message that carries a vote, an acceptance, a ballot or a view
// must wait, or a crash could take back what it told someone. Requests, successful read replies
// (committed state, which rests on synced locks) and decisions (decided by synced acceptances)
// may leave at once.
func TestOnlyRequestsLeaveBeforeTheirWrites(t *testing.T) {
	unbound := map[MsgType]bool{MsgRead: true, MsgPrepare: true, MsgOutcome: true, MsgSubscribe: true, MsgPull: true, MsgDecide: true, MsgReadReply: true}
	for ty := MsgType(1); ty <= maxMsgType; ty++ {
		require.Equal(t, unbound[ty], Message{Type: ty}.Unbound(), "%s", msgNames[ty])
		require.Equal(t, ty != MsgAccepted, Message{Type: ty}.StepAtOnce(), "%s", msgNames[ty])
	}
	require.False(t, Message{Type: MsgReadReply, Code: CodeStale}.Unbound(), "a refusal shows a view: it waits")
	require.True(t, Event{Kind: EvCommitDone}.Unbound())
	require.True(t, Event{Kind: EvReadDone}.Unbound())
	require.False(t, Event{Kind: EvChange}.Unbound(), "a change feed's cursor must not be taken back")
}
