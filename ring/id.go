package ring

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/bits"
)

// ID is a 128-bit position on the ring; arithmetic wraps modulo 2^128.
type ID struct{ Hi, Lo uint64 }

// HashKey maps arbitrary bytes (a key, a peer ID) to a ring position: the first 128 bits of SHA-256.
func HashKey(b []byte) ID {
	s := sha256.Sum256(b)
	return ID{Hi: binary.BigEndian.Uint64(s[0:8]), Lo: binary.BigEndian.Uint64(s[8:16])}
}

// Cmp compares a and b as unsigned 128-bit integers.
func (a ID) Cmp(b ID) int {
	switch {
	case a.Hi < b.Hi:
		return -1
	case a.Hi > b.Hi:
		return 1
	case a.Lo < b.Lo:
		return -1
	case a.Lo > b.Lo:
		return 1
	}
	return 0
}

// Less reports a < b as unsigned integers (not ring order).
func (a ID) Less(b ID) bool { return a.Cmp(b) < 0 }

// Add returns a+b mod 2^128.
func (a ID) Add(b ID) ID {
	lo, c := bits.Add64(a.Lo, b.Lo, 0)
	hi, _ := bits.Add64(a.Hi, b.Hi, c)
	return ID{Hi: hi, Lo: lo}
}

// Sub returns a-b mod 2^128, i.e. the clockwise distance from b to a.
func (a ID) Sub(b ID) ID {
	lo, br := bits.Sub64(a.Lo, b.Lo, 0)
	hi, _ := bits.Sub64(a.Hi, b.Hi, br)
	return ID{Hi: hi, Lo: lo}
}

// Dist returns the clockwise distance from a to b.
func (a ID) Dist(b ID) ID { return b.Sub(a) }

// Between reports whether x lies in the half-open ring interval (a, b]. When a == b the interval
// is the whole ring, so a single node owns every key.
func Between(a, x, b ID) bool {
	if a == b {
		return true
	}
	return a.Dist(x).Cmp(a.Dist(b)) <= 0 && x != a
}

// BetweenOpen reports whether x lies in the open ring interval (a, b). When a == b it is the
// whole ring except a.
func BetweenOpen(a, x, b ID) bool {
	if x == a {
		return false
	}
	if a == b {
		return true
	}
	return a.Dist(x).Cmp(a.Dist(b)) < 0
}

// Pow2 returns 2^k mod 2^128 for 0 <= k < 128.
func Pow2(k uint) ID {
	if k >= 64 {
		return ID{Hi: 1 << (k - 64)}
	}
	return ID{Lo: 1 << k}
}

// Frac returns floor(num/den · 2^128) for 0 <= num < den, den > 0: the offset of the num-th of
// den equal parts of the ring. Used for replica placement and k-ary fingers.
func Frac(num, den uint64) ID {
	// (num · 2^128) / den computed as 128-bit long division over two 64-bit limbs.
	hi, r := bits.Div64(num%den, 0, den)
	lo, _ := bits.Div64(r, 0, den)
	return ID{Hi: hi, Lo: lo}
}

// String is the 32-digit lowercase hex form.
func (a ID) String() string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[0:8], a.Hi)
	binary.BigEndian.PutUint64(b[8:16], a.Lo)
	return hex.EncodeToString(b[:])
}

// Short is the first 8 hex digits, for logs.
func (a ID) Short() string { return a.String()[:8] }

// ParseID parses the 32-digit hex form written by String.
func ParseID(s string) (ID, error) {
	if len(s) != 32 {
		return ID{}, fmt.Errorf("ring id %q: want 32 hex digits, got %d characters", s, len(s))
	}
	var b [16]byte
	if _, err := hex.Decode(b[:], []byte(s)); err != nil {
		return ID{}, fmt.Errorf("ring id %q: %w", s, err)
	}
	return ID{Hi: binary.BigEndian.Uint64(b[0:8]), Lo: binary.BigEndian.Uint64(b[8:16])}, nil
}
