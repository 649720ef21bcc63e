package ui

import (
	"bytes"
	"image/png"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/detrans/detrans/app/draw"
)

// newTestApp starts the whole window on a memory backend, headless, without background polling
// or notice timers (the test drives them).
func newTestApp(t *testing.T) (*App, *MemBackend) {
	t.Helper()
	be := NewMemBackend("alice")
	a := startTestApp(t, be)
	be.Sync()
	return a, be
}

// startTestApp starts an App on be in a test app, with the same test settings as newTestApp,
// and closes both at the end of the test.
func startTestApp(t *testing.T, be Backend) *App {
	t.Helper()
	fa := test.NewTempApp(t)
	a, err := New(fa, be)
	require.NoError(t, err)
	a.queueUI()
	a.PollEvery = 0
	a.after = func(time.Duration, func()) {}
	t.Cleanup(func() {
		a.Close()
		require.NoError(t, be.Close())
	})
	a.Start()
	a.Wait()
	return a
}

func TestAppStartsReadyToDraw(t *testing.T) {
	a, _ := newTestApp(t)
	require.NotNil(t, a.open, "a new space opens with a drawing")
	require.Equal(t, firstDrawingName, a.open.Name())
	require.Len(t, a.list.items, 1)
	require.Equal(t, firstDrawingName+" — DeTransDraw", a.win.Title())
	require.Equal(t, a.open, a.canvas.Drawing())
	require.Equal(t, a.open.ID(), a.fa.Preferences().String(prefLastDrawing))
}

func TestAppReopensLastDrawing(t *testing.T) {
	fa := test.NewTempApp(t)
	be := NewMemBackend("alice")
	defer be.Close()
	lib, err := draw.NewLibrary(be.Store(), "alice")
	require.NoError(t, err)
	_, err = lib.Create(ctx, "A")
	require.NoError(t, err)
	b, err := lib.Create(ctx, "B")
	require.NoError(t, err)
	fa.Preferences().SetString(prefLastDrawing, b.ID)
	a, err := New(fa, be)
	require.NoError(t, err)
	defer a.Close()
	a.queueUI()
	a.PollEvery = 0
	a.Start()
	a.Wait()
	require.Equal(t, b.ID, a.open.ID())
	require.Len(t, a.list.items, 2, "no extra drawing is made when there are some")
}

func TestDrawingsListCreateOpenRename(t *testing.T) {
	a, be := newTestApp(t)
	first := a.open
	a.createDrawing("Second")
	a.Wait()
	require.Equal(t, "Second", a.open.Name())
	require.Len(t, a.list.items, 2)
	require.Equal(t, a.open.ID(), a.list.current)

	// Choosing the first drawing in the list opens it.
	for i, it := range a.list.items {
		if it.ID == first.ID() {
			a.list.list.Select(i)
		}
	}
	a.Wait()
	require.Equal(t, first.ID(), a.open.ID())

	// Renaming the open drawing renames it in the list and the title.
	require.NoError(t, a.open.Rename(ctx, "Floor plan"))
	a.canvas.drain()
	require.Equal(t, "Floor plan", a.list.name(a.open.ID()))
	require.Equal(t, "Floor plan — DeTransDraw", a.win.Title())

	// Someone else's new drawing shows up in the list.
	bob := be.AddPeer("bob")
	be.Sync()
	blib, err := draw.NewLibrary(bob, "bob")
	require.NoError(t, err)
	_, err = blib.Create(ctx, "Bob's sketch")
	require.NoError(t, err)
	be.Sync()
	a.Wait() // the list refresh the store's change asked for
	names := []string{}
	for _, it := range a.list.items {
		names = append(names, it.Name)
	}
	require.Contains(t, names, "Bob's sketch")
}

func TestStatusLineFollowsTheStore(t *testing.T) {
	a, be := newTestApp(t)
	now := time.Unix(1000, 0)
	a.poll(now)
	require.Equal(t, "Up to date", a.status.sync.Text)

	be.Replica().SetOnline(false)
	a.canvas.SetTool(ToolRect)
	drag(a.canvas, fyne.NewPos(50, 50), fyne.NewPos(120, 100), 3)
	a.poll(now.Add(time.Second))
	require.Equal(t, "Offline · 1 edit pending", a.status.sync.Text)
	require.Equal(t, syncOffline, a.status.kind)

	be.Replica().SetOnline(true)
	a.poll(now.Add(2 * time.Second))
	require.Equal(t, "Syncing 1 edit…", a.status.sync.Text)
	a.poll(now.Add(6 * time.Second))
	require.Equal(t, "1 edit pending", a.status.sync.Text, "a count that does not move is not 'syncing'")
	be.Sync()
	a.poll(now.Add(7 * time.Second))
	require.Equal(t, "Up to date", a.status.sync.Text)
	require.Equal(t, "1 shape", a.status.count.Text)
}

func TestMergedConflictIsShown(t *testing.T) {
	a, be := newTestApp(t)
	a.canvas.SetTool(ToolRect)
	drag(a.canvas, fyne.NewPos(50, 50), fyne.NewPos(120, 100), 3)
	bob := be.AddPeer("bob")
	be.Sync()
	bd, err := draw.Open(ctx, bob, a.open.ID(), "bob")
	require.NoError(t, err)
	defer bd.Close()
	id := a.open.Shapes()[0].ID

	// Alice, offline, and bob both recolour the rectangle; bob commits first.
	be.Replica().SetOnline(false)
	a.open.Select(id)
	a.canvas.drain()
	st := a.canvas.Style()
	st.Stroke = swatches[6].c
	a.canvas.SetStyle(st)
	orange := swatches[3].c
	require.NoError(t, bd.Restyle(ctx, []draw.ShapeID{id}, draw.Style{Stroke: &orange}))
	be.Sync()
	be.Replica().SetOnline(true)
	be.Sync()
	a.poll(time.Now())
	require.Contains(t, a.status.sync.Text, "1 conflict merged")
	require.NotEmpty(t, a.status.notice.Text, "the merge notice shows")
	require.NotEmpty(t, a.status.history)
}

func TestPeopleShowOnlineAndOffline(t *testing.T) {
	a, be := newTestApp(t)
	require.Len(t, a.peers.last, 1, "just me")
	be.AddPeer("bob")
	carol := be.AddPeer("carol")
	carol.SetOnline(false)
	a.poll(time.Now())
	require.Equal(t, []Peer{{ID: "alice", Online: true}, {ID: "bob", Online: true}, {ID: "carol"}}, a.peers.last,
		"me first, then online people, then offline")
	w, _ := peerState(a.peers.last[2])
	require.Equal(t, "offline", w)
	w, _ = peerState(Peer{Online: true, Nearby: true})
	require.Equal(t, "nearby", w)
	require.Equal(t, PeerColor("bob"), PeerColor("bob"), "a peer's colour is stable")
}

func TestSyncText(t *testing.T) {
	for _, tc := range []struct {
		st    draw.Status
		stuck bool
		want  string
		kind  syncKind
	}{
		{draw.Status{Online: true}, false, "Up to date", syncUpToDate},
		{draw.Status{Online: true, Pending: 2}, false, "Syncing 2 edits…", syncSyncing},
		{draw.Status{Online: true, Pending: 2}, true, "2 edits pending", syncPending},
		{draw.Status{}, false, "Offline", syncOffline},
		{draw.Status{Pending: 1}, false, "Offline · 1 edit pending", syncOffline},
		{draw.Status{Online: true, Merged: 2, Dropped: 1}, false, "Up to date · 2 conflicts merged, 1 edit dropped", syncUpToDate},
	} {
		got, kind := syncText(tc.st, tc.stuck)
		require.Equal(t, tc.want, got)
		require.Equal(t, tc.kind, kind, tc.want)
	}
}

func TestSaveAndExport(t *testing.T) {
	a, _ := newTestApp(t)
	a.canvas.SetTool(ToolEllipse)
	drag(a.canvas, fyne.NewPos(50, 50), fyne.NewPos(150, 100), 3)
	a.canvas.SetTool(ToolText)
	click(a.canvas, fyne.NewPos(60, 150))
	a.canvas.ov.entry.SetText("hi")
	a.canvas.commitText()

	var buf bytes.Buffer
	require.NoError(t, writeFile(a.open, fileJSON, &buf))
	f, err := draw.ReadFile(&buf)
	require.NoError(t, err)
	require.Equal(t, firstDrawingName, f.Name)
	require.Len(t, f.Shapes, 2)

	buf.Reset()
	require.NoError(t, writeFile(a.open, filePNG, &buf))
	img, err := png.Decode(&buf)
	require.NoError(t, err)
	require.Greater(t, img.Bounds().Dx(), 200, "PNGs are exported at twice the scale")

	buf.Reset()
	require.NoError(t, writeFile(a.open, fileSVG, &buf))
	require.True(t, strings.Contains(buf.String(), "<svg"))

	require.Equal(t, "Floor plan.detrans-draw.json", fileName("Floor plan", fileJSON))
	require.Equal(t, "a-b.png", fileName("a/b", filePNG))
	require.Equal(t, "drawing.svg", fileName("  ", fileSVG))
}

func TestImportAddsShapesInTheBackground(t *testing.T) {
	a, _ := newTestApp(t)
	f := &draw.File{Name: "from disk", Shapes: []draw.Shape{
		{Kind: draw.KindLine, Points: []draw.Point{{X: 0, Y: 0}, {X: 10, Y: 10}}, Stroke: draw.Black, Width: 2},
	}}
	d := a.open
	a.runLong("Importing", func() (func(), error) {
		ids, err := d.Import(ctx, f)
		return func() { d.Select(ids...); a.canvas.drain() }, err
	})
	a.Wait()
	require.Equal(t, 1, d.Len())
	require.Len(t, d.Selected(), 1)
	require.False(t, a.status.progBox.Visible(), "the progress indicator goes away")
}

func TestLongOperationFailureIsReported(t *testing.T) {
	a, _ := newTestApp(t)
	a.showJoin() // opens the dialog; joining itself runs through runLong
	a.runLong("Joining the space", func() (func(), error) { return nil, a.be.Join(ctx, "ticket") })
	a.Wait()
	require.Contains(t, a.status.notice.Text, "Joining the space failed")
	require.Contains(t, a.status.notice.Text, "on this device only")
	a.showInvite() // the local-only backend has no ticket: an explanation, not a crash
}

func TestMenuShortcutsGoToAFocusedTextField(t *testing.T) {
	a, _ := newTestApp(t)
	a.canvas.SetTool(ToolRect)
	drag(a.canvas, fyne.NewPos(50, 50), fyne.NewPos(120, 100), 3)
	e := widget.NewEntry()
	a.win.SetContent(e) // a lone field is enough to hold the focus
	a.win.Canvas().Focus(e)
	a.onCanvas(&fyne.ShortcutUndo{}, a.canvas.Undo)()
	require.Equal(t, 1, a.open.Len(), "Ctrl+Z in a text field is the field's")
	a.win.Canvas().Unfocus()
	a.onCanvas(&fyne.ShortcutUndo{}, a.canvas.Undo)()
	require.Equal(t, 0, a.open.Len(), "elsewhere it undoes the drawing")
}

func TestCloseIsClean(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	fa := test.NewTempApp(t)
	be := NewMemBackend("alice")
	be.Run(5 * time.Millisecond)
	a, err := New(fa, be)
	require.NoError(t, err)
	a.queueUI()
	a.PollEvery = 5 * time.Millisecond
	a.after = func(time.Duration, func()) {}
	a.Start()
	a.Wait()
	// The poller hands its reads to the UI queue: wait for two of them, run them, then close.
	for range 2 {
		(<-a.queue)()
	}
	a.Close()
	require.NoError(t, be.Close())
	require.Nil(t, a.open)
	a.Close() // twice is harmless
}

func TestToolKeysReachTheCanvasWithoutFocus(t *testing.T) {
	a, _ := newTestApp(t)
	a.win.Canvas().Unfocus()
	test.TypeOnCanvas(a.win.Canvas(), "r")
	require.Equal(t, ToolRect, a.canvas.Tool())
	require.True(t, a.toolbar.tools[ToolRect].selected, "the toolbar follows")
	a.toolbar.tools[ToolPen].Tapped(nil)
	require.Equal(t, ToolPen, a.canvas.Tool(), "and the toolbar sets the tool")
}
