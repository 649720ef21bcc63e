package ui

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/detrans/detrans/app/draw"
)

// Preference keys.
const prefLastDrawing = "lastDrawing"

// firstDrawingName is the drawing a new space starts with, so the app opens ready to draw.
const firstDrawingName = "My first drawing"

// App is DeTransDraw's main window over a Backend.
type App struct {
	fa  fyne.App
	win fyne.Window
	be  Backend
	lib *draw.Library
	me  Peer

	canvas  *Canvas
	toolbar *toolbar
	status  *statusBar
	list    *drawingsList
	peers   *peersPanel

	open    *draw.Drawing // the drawing on the canvas; nil while none is open
	unwatch func()

	// PollEvery is how often the sync status and the people are read from the backend; zero
	// disables polling (tests call poll themselves).
	PollEvery time.Duration

	mu     sync.Mutex // guards busy and closed, touched by long operations' goroutines
	busy   []string
	closed bool
	stop   chan struct{}
	bg     sync.WaitGroup              // the poller
	ops    sync.WaitGroup              // long operations
	after  func(time.Duration, func()) // timers for notices; replaced in tests
	// do hands work to the UI goroutine (fyne.Do). Tests queue it instead and run it in Wait:
	// the test driver would otherwise run it at once on the worker's goroutine, beside the test's.
	do    func(func())
	queue chan func()
}

// New builds the window for be. Call Start to open a drawing and Close when the app quits.
func New(fa fyne.App, be Backend) (*App, error) {
	me := be.Me()
	lib, err := draw.NewLibrary(be.Store(), me.ID)
	if err != nil {
		return nil, fmt.Errorf("ui: %w", err)
	}
	a := &App{fa: fa, be: be, lib: lib, me: me, PollEvery: time.Second, stop: make(chan struct{})}
	a.do = fyne.Do
	a.after = func(d time.Duration, f func()) { time.AfterFunc(d, func() { a.do(f) }) }

	a.canvas = NewCanvas()
	a.toolbar = newToolbar(a.canvas, a.hint)
	a.status = newStatusBar(a.canvas, a.showNotices)
	a.status.after = func(d time.Duration, f func()) { a.after(d, f) }
	a.list = newDrawingsList(func(info draw.Info) { a.openDrawing(info.ID) })
	a.peers = newPeersPanel()
	a.peers.set(me, nil)
	a.wireCanvas()

	a.win = fa.NewWindow("DeTransDraw")
	a.win.SetMainMenu(a.mainMenu())
	a.addShortcuts()
	main := container.NewBorder(a.toolbar.obj, a.status.obj, nil, nil, a.canvas)
	a.win.SetContent(container.NewBorder(nil, nil, a.sidebar(), nil, container.NewBorder(nil, nil, widget.NewSeparator(), nil, main)))
	a.win.Resize(fyne.NewSize(1280, 800))
	a.win.Canvas().SetOnTypedRune(a.canvas.TypedRune) // keys still reach the canvas when nothing has focus
	a.win.Canvas().SetOnTypedKey(a.canvas.TypedKey)

	a.unwatch = lib.Watch(func(notice string) {
		a.do(func() {
			if notice != "" {
				a.status.tell(notice, false)
			}
			a.refreshList()
		})
	})
	return a, nil
}

func (a *App) wireCanvas() {
	c := a.canvas
	c.OnToolChanged = a.toolbar.setTool
	c.OnStyleChanged = a.toolbar.setStyle
	c.OnViewChanged = func() { a.status.setZoom(c.Zoom()) }
	c.OnChanged = func() {
		if d := c.Drawing(); d != nil {
			a.status.setCount(d.Len(), len(d.Selected()))
		} else {
			a.status.setCount(0, 0)
		}
		a.toolbar.update()
	}
	c.OnNotice = func(n string) { a.status.tell(n, false) }
	c.OnError = func(err error) { a.status.tell(err.Error(), true) }
	c.OnRenamed = func() { a.refreshList(); a.updateTitle() }
	c.OnHint = a.hint
}

func (a *App) hint(h string) { a.status.setHint(h) }

// Window is the app's window.
func (a *App) Window() fyne.Window { return a.win }

// Canvas is the drawing canvas.
func (a *App) Canvas() *Canvas { return a.canvas }

// Start opens the last drawing (or the first, or makes one in a new space) and starts polling.
func (a *App) Start() {
	infos := a.refreshList()
	last := a.fa.Preferences().String(prefLastDrawing)
	for _, in := range infos {
		if in.ID == last {
			a.openDrawing(in.ID)
			a.startPolling()
			return
		}
	}
	if len(infos) > 0 {
		a.openDrawing(infos[0].ID)
	} else {
		a.createDrawing(firstDrawingName)
	}
	a.startPolling()
}

func (a *App) startPolling() {
	a.poll(time.Now())
	if a.PollEvery <= 0 {
		return
	}
	a.bg.Add(1)
	go func() {
		defer a.bg.Done()
		t := time.NewTicker(a.PollEvery)
		defer t.Stop()
		for {
			select {
			case <-a.stop:
				return
			case now := <-t.C:
				a.do(func() { a.poll(now) })
			}
		}
	}()
}

// poll reads the sync state and the people from the backend.
func (a *App) poll(now time.Time) {
	if a.isClosed() {
		return
	}
	a.status.setStatus(a.be.Store().Status(), now)
	a.me = a.be.Me()
	a.peers.set(a.me, a.be.Peers())
}

// refreshList re-reads the drawings list.
func (a *App) refreshList() []draw.Info {
	infos, err := a.lib.List(context.Background())
	if err != nil {
		a.status.tell(err.Error(), true)
		return nil
	}
	cur := ""
	if a.open != nil {
		cur = a.open.ID()
	}
	a.list.set(infos, cur)
	return infos
}

// openDrawing opens drawing id in the background (a big drawing takes a moment to read) and
// shows it when it is ready.
func (a *App) openDrawing(id string) {
	name := a.list.name(id)
	if name == "" {
		name = id
	}
	a.runLong("Opening “"+name+"”", func() (func(), error) {
		d, err := a.lib.Open(context.Background(), id)
		if err != nil {
			return nil, err
		}
		return func() { a.show(d) }, nil
	})
}

// show puts d on the canvas, closing the drawing shown before.
func (a *App) show(d *draw.Drawing) {
	if a.isClosed() {
		d.Close()
		return
	}
	old := a.open
	a.open = d
	a.canvas.SetDrawing(d)
	if old != nil {
		old.Close()
	}
	a.fa.Preferences().SetString(prefLastDrawing, d.ID())
	a.list.setCurrent(d.ID())
	a.updateTitle()
	a.status.setZoom(a.canvas.Zoom())
	a.canvas.focus()
}

func (a *App) updateTitle() {
	if a.open == nil {
		a.win.SetTitle("DeTransDraw")
		return
	}
	a.win.SetTitle(a.open.Name() + " — DeTransDraw")
}

// createDrawing makes a drawing and opens it.
func (a *App) createDrawing(name string) {
	info, err := a.lib.Create(context.Background(), name)
	if err != nil {
		a.status.tell(err.Error(), true)
		return
	}
	a.refreshList()
	a.openDrawing(info.ID)
}

// runLong runs work off the UI goroutine with a progress indicator; the func it returns runs on
// the UI goroutine when it is done. A failure is shown as a notice.
func (a *App) runLong(label string, work func() (func(), error)) {
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		return
	}
	a.busy = append(a.busy, label)
	a.ops.Add(1)
	a.mu.Unlock()
	a.status.setBusy(label + "…")
	go func() {
		defer a.ops.Done()
		done, err := work()
		a.do(func() {
			a.mu.Lock()
			for i, l := range a.busy {
				if l == label {
					a.busy = append(a.busy[:i], a.busy[i+1:]...)
					break
				}
			}
			next := ""
			if len(a.busy) > 0 {
				next = a.busy[len(a.busy)-1] + "…"
			}
			closed := a.closed
			a.mu.Unlock()
			if closed {
				return
			}
			a.status.setBusy(next)
			if err != nil {
				a.status.tell(label+" failed: "+friendly(err), true)
				return
			}
			if done != nil {
				done()
			}
		})
	}()
}

// friendly is an error as a user should read it.
func friendly(err error) string {
	if errors.Is(err, ErrLocalOnly) {
		return ErrLocalOnly.Error()
	}
	return err.Error()
}

// Wait blocks until long operations started so far have finished (for tests and the demo); with
// a test queue it also runs what they handed to the UI, until nothing is left.
func (a *App) Wait() {
	for {
		a.ops.Wait()
		if a.queue == nil {
			return
		}
		select {
		case f := <-a.queue:
			f()
		default:
			return
		}
	}
}

// queueUI makes work for the UI goroutine wait in a queue that Wait runs (tests).
func (a *App) queueUI() {
	a.queue = make(chan func(), 1024)
	a.do = func(f func()) { a.queue <- f }
}

func (a *App) isClosed() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.closed
}

// Close stops polling, waits for long operations and closes the open drawing. It does not close
// the backend: the caller owns it (and closes it after this).
func (a *App) Close() {
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		return
	}
	a.closed = true
	close(a.stop)
	a.mu.Unlock()
	if a.unwatch != nil {
		a.unwatch()
	}
	a.bg.Wait()
	a.ops.Wait()
	a.canvas.SetDrawing(nil)
	if a.open != nil {
		a.open.Close()
		a.open = nil
	}
}
