package store

import (
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

func genItem() *rapid.Generator[Item] {
	return rapid.Custom(func(t *rapid.T) Item {
		it := Item{
			Value:   rapid.SliceOfN(rapid.Byte(), 0, 64).Draw(t, "value"),
			Version: rapid.Uint64().Draw(t, "version"),
			Deleted: rapid.Bool().Draw(t, "deleted"),
		}
		if len(it.Value) == 0 {
			it.Value = nil
		}
		if rapid.Bool().Draw(t, "locked") {
			copy(it.Lock.Tx[:], rapid.SliceOfN(rapid.Byte(), 16, 16).Draw(t, "tx"))
			it.Lock.Tx[0] |= 1 // never the zero id
			it.Lock.Write = rapid.Bool().Draw(t, "write")
			it.Lock.NewDeleted = rapid.Bool().Draw(t, "newdel")
			it.Lock.Adopted = rapid.Bool().Draw(t, "adopted")
			it.Lock.NewValue = rapid.SliceOfN(rapid.Byte(), 0, 64).Draw(t, "newvalue")
			if len(it.Lock.NewValue) == 0 {
				it.Lock.NewValue = nil
			}
		}
		return it
	})
}

func TestItemRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		it := genItem().Draw(t, "item")
		got, err := decodeItem(encodeItem(it))
		require.NoError(t, err)
		require.Equal(t, it, got)
	})
}

func TestDecodeItemRejectsCorruption(t *testing.T) {
	good := encodeItem(Item{Value: []byte("v"), Version: 3, Lock: Lock{Tx: TxID{1}, Write: true, NewValue: []byte("w")}})
	cases := map[string][]byte{
		"empty":          nil,
		"unknown format": append([]byte{99}, good[1:]...),
		"truncated":      good[:len(good)-1],
		"trailing bytes": append(append([]byte(nil), good...), 0),
		"huge length":    {itemFormat, 0, 1, 0xff, 0xff, 0xff, 0xff, 0x0f},
		"zero lock tx":   append([]byte{itemFormat, flagLock, 1, 0}, make([]byte, 17)...),
	}
	for name, b := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := decodeItem(b)
			require.ErrorIs(t, err, ErrCorrupt)
		})
	}
}

func FuzzDecodeItem(f *testing.F) {
	f.Add(encodeItem(Item{}))
	f.Add(encodeItem(Item{Value: []byte("hello"), Version: 7, Deleted: true}))
	f.Add(encodeItem(Item{Version: 1, Lock: Lock{Tx: TxID{9}, Write: true, NewValue: []byte("x")}}))
	f.Fuzz(func(t *testing.T, b []byte) {
		it, err := decodeItem(b)
		if err != nil {
			return
		}
		again, err := decodeItem(encodeItem(it))
		require.NoError(t, err)
		require.Equal(t, it, again)
	})
}
