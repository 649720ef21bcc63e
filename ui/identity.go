package ui

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/user"
	"strings"

	"fyne.io/fyne/v2"
)

const prefAuthor = "author"

// AuthorName is this installation's author name, made once and kept in the preferences: the
// user's login name (letters, digits, - _ . only) and a random suffix, so two people called Alex
// never write each other's shape ids. A backend whose peer has its own identity ignores it.
func AuthorName(p fyne.Preferences) string {
	if a := p.String(prefAuthor); validAuthor(a) {
		return a
	}
	a := sanitizeName(loginName()) + "-" + randomHex(2)
	p.SetString(prefAuthor, a)
	return a
}

func loginName() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return os.Getenv("USER")
}

// sanitizeName keeps the characters author names may hold, at most 24 of them.
func sanitizeName(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' {
			b.WriteRune(r)
		}
		if b.Len() >= 24 {
			break
		}
	}
	if b.Len() == 0 {
		return "me"
	}
	return b.String()
}

func validAuthor(s string) bool {
	if s == "" || len(s) > 100 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "0000"[:2*n]
	}
	return hex.EncodeToString(b)
}
