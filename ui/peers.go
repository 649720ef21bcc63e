package ui

import (
	"hash/fnv"
	"image/color"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// peerColors are the colours people get in the panel: a peer's colour comes from its ID, so every
// peer shows the same person in the same colour.
var peerColors = []color.NRGBA{
	{R: 0xe0, G: 0x31, B: 0x31, A: 0xff}, {R: 0x19, G: 0x71, B: 0xc2, A: 0xff},
	{R: 0x2f, G: 0x9e, B: 0x44, A: 0xff}, {R: 0xf0, G: 0x8c, B: 0x00, A: 0xff},
	{R: 0x70, G: 0x48, B: 0xe8, A: 0xff}, {R: 0xd6, G: 0x33, B: 0x6c, A: 0xff},
	{R: 0x0c, G: 0x85, B: 0x99, A: 0xff}, {R: 0x86, G: 0x5d, B: 0x2c, A: 0xff},
	{R: 0x5c, G: 0x7c, B: 0xfa, A: 0xff}, {R: 0x09, G: 0x92, B: 0x68, A: 0xff},
	{R: 0xe6, G: 0x49, B: 0x80, A: 0xff}, {R: 0x49, G: 0x50, B: 0x57, A: 0xff},
}

// PeerColor is the colour that stands for a peer.
func PeerColor(id string) color.NRGBA {
	h := fnv.New32a()
	h.Write([]byte(id))
	return peerColors[h.Sum32()%uint32(len(peerColors))]
}

var (
	onlineColor  = color.NRGBA{R: 0x2f, G: 0x9e, B: 0x44, A: 0xff}
	nearbyColor  = color.NRGBA{R: 0x19, G: 0x71, B: 0xc2, A: 0xff}
	offlineColor = color.NRGBA{R: 0x9a, G: 0xa0, B: 0xa6, A: 0xff}
)

// peerState is the word and colour for a peer's reachability.
func peerState(p Peer) (string, color.Color) {
	switch {
	case p.Online && p.Nearby:
		return "nearby", nearbyColor
	case p.Online:
		return "online", onlineColor
	}
	return "offline", offlineColor
}

// peersPanel lists me and the other peers of the space, online ones first.
type peersPanel struct {
	rows *fyne.Container
	last []Peer
	obj  fyne.CanvasObject
}

func newPeersPanel() *peersPanel {
	p := &peersPanel{rows: container.NewVBox()}
	p.obj = p.rows
	return p
}

// set shows me and peers; it rebuilds only when something changed (it is polled).
func (p *peersPanel) set(me Peer, peers []Peer) {
	peers = slices.Clone(peers)
	slices.SortStableFunc(peers, func(a, b Peer) int {
		if a.Online != b.Online {
			if a.Online {
				return -1
			}
			return 1
		}
		return strings.Compare(strings.ToLower(a.Label()), strings.ToLower(b.Label()))
	})
	all := append([]Peer{me}, peers...)
	if slices.Equal(all, p.last) {
		return
	}
	p.last = all
	objs := make([]fyne.CanvasObject, 0, len(all)+1)
	for i, peer := range all {
		objs = append(objs, peerRow(peer, i == 0))
	}
	if len(peers) == 0 {
		hint := widget.NewLabelWithStyle("No one else yet: invite someone to draw together.", fyne.TextAlignLeading, fyne.TextStyle{Italic: true})
		hint.Wrapping = fyne.TextWrapWord
		hint.Importance = widget.LowImportance
		hint.SizeName = theme.SizeNameCaptionText
		objs = append(objs, hint)
	}
	p.rows.Objects = objs
	p.rows.Refresh()
}

func peerRow(p Peer, me bool) fyne.CanvasObject {
	avatar := canvas.NewCircle(PeerColor(p.ID))
	initial := canvas.NewText(strings.ToUpper(firstRune(p.Label())), color.White)
	initial.TextStyle.Bold = true
	initial.TextSize = 11
	initial.Alignment = fyne.TextAlignCenter
	face := container.NewGridWrap(fyne.NewSquareSize(22), container.NewStack(avatar, container.NewCenter(initial)))
	name := p.Label()
	if me {
		name += " (you)"
	}
	label := widget.NewLabel(name)
	label.Truncation = fyne.TextTruncateEllipsis
	word, col := peerState(p)
	dot := canvas.NewCircle(col)
	state := canvas.NewText(word, col)
	state.TextSize = 11
	stateBox := container.NewHBox(container.NewCenter(container.NewGridWrap(fyne.NewSquareSize(7), dot)), state)
	return container.NewBorder(nil, nil, container.NewCenter(face), container.NewCenter(stateBox), label)
}

func firstRune(s string) string {
	for _, r := range s {
		return string(r)
	}
	return "?"
}
