package space

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func sampleTicket() Ticket {
	return Ticket{
		SpaceID: "00112233445566778899aabbccddeeff",
		Secret:  []byte("0123456789abcdef0123456789abcdef"),
		Name:    "Team board",
		Addrs:   []string{"/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWGzZBNePY6sRnxVTpkzBZDxqAiyRqBhYy3eWqPUbfXEwt"},
	}
}

func TestTicketRoundTripAndTolerantParsing(t *testing.T) {
	tk := sampleTicket()
	s := tk.String()
	require.True(t, strings.HasPrefix(s, "detrans1-"))
	require.NotContains(t, s, " ")
	got, err := ParseTicket(s)
	require.NoError(t, err)
	require.Equal(t, tk, got)
	// Pasted with line breaks, spaces and in upper case: still fine.
	wrapped := "  " + strings.ToUpper(s[:30]) + "\n" + s[30:60] + " \r\n" + s[60:] + "\n"
	got, err = ParseTicket(wrapped)
	require.NoError(t, err)
	require.Equal(t, tk, got)
}

func TestBadTicketsSayWhatIsWrong(t *testing.T) {
	s := sampleTicket().String()
	_, err := ParseTicket("hello")
	require.ErrorIs(t, err, ErrNotATicket)
	_, err = ParseTicket(s[:len(s)-5])
	require.ErrorIs(t, err, ErrTicketDamaged)
	flipped := []byte(s)
	i := len(flipped) / 2
	if flipped[i] == 'a' {
		flipped[i] = 'b'
	} else {
		flipped[i] = 'a'
	}
	_, err = ParseTicket(string(flipped))
	require.ErrorIs(t, err, ErrTicketDamaged)
	noAddr := sampleTicket()
	noAddr.Addrs = nil
	_, err = ParseTicket(noAddr.String())
	require.ErrorContains(t, err, "names no peer")
}

func FuzzParseTicket(f *testing.F) {
	f.Add(sampleTicket().String())
	f.Add("detrans1-aaaa")
	f.Fuzz(func(t *testing.T, s string) {
		tk, err := ParseTicket(s)
		if err != nil {
			return
		}
		again, err := ParseTicket(tk.String())
		require.NoError(t, err)
		require.Equal(t, tk, again)
	})
}
