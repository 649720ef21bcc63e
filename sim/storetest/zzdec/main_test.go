package zzdec

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/detrans/detrans/core"
)

func TestDecode(t *testing.T) {
	f, _ := os.Open(os.Getenv("TRACE"))
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	tx := os.Getenv("TX")
	for sc.Scan() {
		line := sc.Text()
		if !strings.Contains(line, " send ") {
			continue
		}
		fs := strings.Fields(line)
		b, err := hex.DecodeString(fs[len(fs)-1])
		if err != nil {
			continue
		}
		m, err := core.Decode(b)
		if err != nil || m.Txn == nil {
			continue
		}
		x := m.Txn
		if fmt.Sprintf("%x", x.Tx[:]) != tx {
			continue
		}
		var votes []string
		for _, v := range x.Votes {
			votes = append(votes, fmt.Sprintf("%s/%s:%v@%d", v.Key, v.Replica, v.Prepared, v.Ballot))
		}
		var items []string
		for _, it := range x.Items {
			items = append(items, fmt.Sprintf("%s v%d w%v %q", it.Key, it.Version, it.Write, it.Value))
		}
		var parts []string
		for _, p := range x.Parts {
			parts = append(parts, fmt.Sprintf("%s g%d e%d %v", p.Key, p.Group, p.Epoch, p.Members))
		}
		fmt.Printf("%s %s %s->%s %s ballot=%d code=%d epoch=%d votes=%v items=%v parts=%v\n", fs[0], fs[2], x.From.Addr, x.To.Addr, x.Type, x.Ballot, x.Code, x.Epoch, votes, items, parts)
	}
}
