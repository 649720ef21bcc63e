package ring

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestIDArithmeticWraps(t *testing.T) {
	max := ID{Hi: ^uint64(0), Lo: ^uint64(0)}
	require.Equal(t, ID{}, max.Add(ID{Lo: 1}))
	require.Equal(t, max, ID{}.Sub(ID{Lo: 1}))
	require.Equal(t, ID{Hi: 1}, ID{Lo: ^uint64(0)}.Add(ID{Lo: 1}))
	require.Equal(t, ID{Lo: 5}, ID{Lo: 10}.Dist(ID{Lo: 15}))
}

func TestBetween(t *testing.T) {
	a, b, c := ID{Lo: 10}, ID{Lo: 20}, ID{Lo: 30}
	require.True(t, Between(a, b, c))
	require.True(t, Between(a, c, c), "upper bound is inclusive")
	require.False(t, Between(a, a, c), "lower bound is exclusive")
	require.False(t, Between(b, a, c))
	require.True(t, Between(c, a, b), "interval wraps past zero")
	require.True(t, Between(a, c, a), "a==b is the whole ring")
	require.False(t, BetweenOpen(a, c, c))
	require.True(t, BetweenOpen(c, ID{Lo: 1}, a))
	require.False(t, BetweenOpen(a, a, a))
	require.True(t, BetweenOpen(a, b, a))
}

func TestFracAndPow2(t *testing.T) {
	require.Equal(t, ID{Hi: 1 << 63}, Frac(1, 2))
	require.Equal(t, ID{Hi: 1 << 62}, Frac(1, 4))
	require.Equal(t, ID{}, Frac(0, 3))
	third := Frac(1, 3)
	require.Equal(t, uint64(0x5555555555555555), third.Hi)
	require.Equal(t, uint64(0x5555555555555555), third.Lo)
	require.Equal(t, ID{Hi: 1}, Pow2(64))
	require.Equal(t, ID{Lo: 1 << 3}, Pow2(3))
}

func TestParseIDRoundTrip(t *testing.T) {
	id := HashKey([]byte("hello"))
	got, err := ParseID(id.String())
	require.NoError(t, err)
	require.Equal(t, id, got)
	_, err = ParseID("xyz")
	require.Error(t, err)
	_, err = ParseID("zz" + id.String()[2:])
	require.Error(t, err)
}
