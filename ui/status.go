package ui

import (
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/detrans/detrans/app/draw"
)

// syncKind is the state the sync indicator shows.
type syncKind int

const (
	syncUpToDate syncKind = iota
	syncSyncing           // edits are committing
	syncPending           // edits wait: the store is online but cannot commit them (yet)
	syncOffline
)

// stuckAfter is how long a non-zero pending count may stay unchanged before "syncing" becomes
// "N edits pending" (the store is reachable but not committing, e.g. on a minority side).
const stuckAfter = 3 * time.Second

// syncText is the sync indicator's words for a store status. stuck says the pending count has
// not moved for stuckAfter.
func syncText(st draw.Status, stuck bool) (string, syncKind) {
	var s string
	var k syncKind
	switch {
	case !st.Online && st.Pending > 0:
		s, k = "Offline · "+edits(st.Pending)+" pending", syncOffline
	case !st.Online:
		s, k = "Offline", syncOffline
	case st.Pending == 0:
		s, k = "Up to date", syncUpToDate
	case stuck:
		s, k = edits(st.Pending)+" pending", syncPending
	default:
		s, k = "Syncing "+edits(st.Pending)+"…", syncSyncing
	}
	var extra []string
	if st.Merged > 0 {
		extra = append(extra, plural(st.Merged, "conflict", "conflicts")+" merged")
	}
	if st.Dropped > 0 {
		extra = append(extra, plural(st.Dropped, "edit", "edits")+" dropped")
	}
	if len(extra) > 0 {
		s += " · " + strings.Join(extra, ", ")
	}
	return s, k
}

func edits(n int) string { return plural(n, "edit", "edits") }

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func syncIcon(k syncKind) fyne.Resource {
	switch k {
	case syncSyncing:
		return theme.NewPrimaryThemedResource(theme.ViewRefreshIcon())
	case syncPending:
		return theme.NewWarningThemedResource(theme.UploadIcon())
	case syncOffline:
		return theme.NewWarningThemedResource(iconCloudOff)
	}
	return theme.NewSuccessThemedResource(theme.ConfirmIcon())
}

// noticeFor is how long a notice stays in the status line (it also goes to the history).
const noticeFor = 12 * time.Second

// statusBar is the line under the canvas: sync state, the latest notice, progress of long
// operations, hints, the shape count and the zoom controls.
type statusBar struct {
	icon     *widget.Icon
	sync     *widget.Label
	notice   *widget.Label
	bell     *widget.Icon
	history  []string
	progress *widget.ProgressBarInfinite
	progBox  *fyne.Container
	busy     *widget.Label
	hint     *widget.Label
	count    *widget.Label
	zoom     *widget.Button
	obj      fyne.CanvasObject

	lastPending  int
	pendingSince time.Time
	noticeSeq    int
	kind         syncKind
	text         string
	after        func(time.Duration, func()) // runs f on the UI goroutine later; nil: notices stay
}

func newStatusBar(c *Canvas, showHistory func()) *statusBar {
	s := &statusBar{
		icon:     widget.NewIcon(syncIcon(syncUpToDate)),
		sync:     widget.NewLabel("Up to date"),
		notice:   widget.NewLabel(""),
		bell:     widget.NewIcon(theme.NewWarningThemedResource(theme.InfoIcon())),
		progress: widget.NewProgressBarInfinite(),
		busy:     widget.NewLabel(""),
		hint:     widget.NewLabel(""),
		count:    widget.NewLabel(""),
	}
	s.sync.TextStyle.Bold = true
	s.notice.Truncation = fyne.TextTruncateEllipsis
	s.bell.Hide()
	s.hint.Truncation = fyne.TextTruncateEllipsis
	s.hint.Importance = widget.LowImportance
	s.progress.Stop()
	s.progBox = container.NewGridWrap(fyne.NewSize(90, 8), s.progress)
	s.progBox.Hide()
	s.busy.Hide()
	s.zoom = widget.NewButton("100%", func() { c.ZoomReset(); c.focus() })
	s.zoom.Importance = widget.LowImportance
	zoomOut := widget.NewButtonWithIcon("", theme.ZoomOutIcon(), func() { c.ZoomOut(); c.focus() })
	zoomIn := widget.NewButtonWithIcon("", theme.ZoomInIcon(), func() { c.ZoomIn(); c.focus() })
	fit := widget.NewButtonWithIcon("", theme.ZoomFitIcon(), func() { c.Fit(); c.focus() })
	for _, b := range []*widget.Button{zoomOut, zoomIn, fit} {
		b.Importance = widget.LowImportance
	}
	historyBtn := widget.NewButtonWithIcon("", theme.HistoryIcon(), showHistory)
	historyBtn.Importance = widget.LowImportance

	left := container.NewHBox(s.icon, s.sync)
	right := container.NewHBox(s.busy, container.NewCenter(s.progBox), s.count, zoomOut, s.zoom, zoomIn, fit)
	middle := container.NewBorder(nil, nil, historyBtn, nil, container.NewStack(s.hint, container.NewBorder(nil, nil, s.bell, nil, s.notice)))
	bar := container.NewBorder(nil, nil, left, right, middle)
	s.obj = container.NewBorder(widget.NewSeparator(), nil, nil, nil, container.NewStack(
		canvas.NewRectangle(theme.Color(theme.ColorNameHeaderBackground)),
		container.New(layout.NewCustomPaddedLayout(0, 0, 8, 4), bar),
	))
	return s
}

// setStatus shows the store's sync state; now is the poll time (for "stuck" detection).
func (s *statusBar) setStatus(st draw.Status, now time.Time) {
	if st.Pending != s.lastPending || st.Pending == 0 {
		s.lastPending, s.pendingSince = st.Pending, now
	}
	text, kind := syncText(st, now.Sub(s.pendingSince) >= stuckAfter)
	if text == s.text && kind == s.kind {
		return
	}
	if kind != s.kind || s.text == "" {
		s.icon.SetResource(syncIcon(kind))
	}
	s.text, s.kind = text, kind
	s.sync.SetText(text)
	switch kind {
	case syncUpToDate:
		s.sync.Importance = widget.SuccessImportance
	case syncSyncing:
		s.sync.Importance = widget.HighImportance
	default:
		s.sync.Importance = widget.WarningImportance
	}
	s.sync.Refresh()
}

// tell shows a notice for a while and keeps it in the history.
func (s *statusBar) tell(msg string, important bool) {
	msg = strings.TrimSpace(msg)
	if msg == "" {
		return
	}
	s.history = append(s.history, time.Now().Format("15:04:05")+"  "+msg)
	if len(s.history) > 100 {
		s.history = s.history[len(s.history)-100:]
	}
	if important {
		s.bell.SetResource(theme.NewErrorThemedResource(theme.ErrorIcon()))
	} else {
		s.bell.SetResource(theme.NewWarningThemedResource(theme.InfoIcon()))
	}
	s.notice.SetText(msg)
	s.bell.Show()
	s.hint.Hide()
	s.noticeSeq++
	seq := s.noticeSeq
	if s.after != nil {
		s.after(noticeFor, func() {
			if s.noticeSeq == seq {
				s.notice.SetText("")
				s.bell.Hide()
				s.hint.Show()
			}
		})
	}
}

// setHint shows help for what the pointer is over, unless a notice is showing.
func (s *statusBar) setHint(h string) { s.hint.SetText(h) }

// setBusy shows or hides the progress of a long operation.
func (s *statusBar) setBusy(label string) {
	if label == "" {
		s.progress.Stop()
		s.progBox.Hide()
		s.busy.Hide()
		return
	}
	s.busy.SetText(label)
	s.busy.Show()
	s.progBox.Show()
	s.progress.Start()
}

func (s *statusBar) setCount(n int, selected int) {
	t := plural(n, "shape", "shapes")
	if selected > 0 {
		t = fmt.Sprintf("%d of %s selected", selected, t)
	}
	s.count.SetText(t)
}

func (s *statusBar) setZoom(z float64) { s.zoom.SetText(fmt.Sprintf("%.0f%%", z*100)) }
