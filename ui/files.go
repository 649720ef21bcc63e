package ui

import (
	"context"
	"fmt"
	"io"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"

	"github.com/detrans/detrans/app/draw"
)

// fileKind is what a save or export writes.
type fileKind int

const (
	fileJSON fileKind = iota
	filePNG
	fileSVG
)

var fileKinds = map[fileKind]struct{ ext, verb string }{
	fileJSON: {".json", "Saving"},
	filePNG:  {".png", "Exporting PNG"},
	fileSVG:  {".svg", "Exporting SVG"},
}

// exportOptions frame the drawing with a margin on white; PNGs at twice the drawing's scale so
// they stay sharp on high-density screens.
func exportOptions(k fileKind) draw.ExportOptions {
	o := draw.ExportOptions{Margin: 24, Background: draw.White}
	if k == filePNG {
		o.Scale = 2
	}
	return o
}

// writeFile writes d as k to w.
func writeFile(d *draw.Drawing, k fileKind, w io.Writer) error {
	switch k {
	case filePNG:
		return d.ExportPNG(w, exportOptions(k))
	case fileSVG:
		return d.ExportSVG(w, exportOptions(k))
	}
	return d.Save(w)
}

// fileName is a file name for the drawing's name: no path separators, the right extension.
func fileName(name string, k fileKind) string {
	name = strings.Map(func(r rune) rune {
		if strings.ContainsRune(`/\:*?"<>|`, r) || r < ' ' {
			return '-'
		}
		return r
	}, strings.TrimSpace(name))
	if name == "" {
		name = "drawing"
	}
	if k == fileJSON {
		return name + ".detrans-draw.json"
	}
	return name + fileKinds[k].ext
}

func (a *App) saveFile()  { a.writeDialog(fileJSON) }
func (a *App) exportPNG() { a.writeDialog(filePNG) }
func (a *App) exportSVG() { a.writeDialog(fileSVG) }

// writeDialog asks where to write the open drawing and writes it there in the background.
func (a *App) writeDialog(k fileKind) {
	d := a.open
	if d == nil {
		return
	}
	dlg := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
		if err != nil {
			a.status.tell(err.Error(), true)
			return
		}
		if w == nil {
			return // cancelled
		}
		name := w.URI().Name()
		a.runLong(fileKinds[k].verb+" "+name, func() (func(), error) {
			err := writeFile(d, k, w)
			if cerr := w.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return nil, fmt.Errorf("write %s: %w", name, err)
			}
			return func() { a.status.tell("Wrote "+name, false) }, nil
		})
	}, a.win)
	dlg.SetFileName(fileName(d.Name(), k))
	dlg.SetFilter(storage.NewExtensionFileFilter([]string{fileKinds[k].ext}))
	dlg.Resize(fyne.NewSize(820, 560))
	dlg.Show()
}

// openFile reads a drawing file into a new drawing and opens it.
func (a *App) openFile() {
	a.readDialog("Opening", func(f *draw.File) (func(), error) {
		info, err := a.lib.CreateFrom(context.Background(), f)
		if err != nil {
			return nil, err
		}
		return func() { a.refreshList(); a.openDrawing(info.ID) }, nil
	})
}

// importFile adds a drawing file's shapes on top of the open drawing (in a shared drawing a file
// must not replace what others drew).
func (a *App) importFile() {
	d := a.open
	if d == nil {
		return
	}
	a.readDialog("Importing", func(f *draw.File) (func(), error) {
		ids, err := d.Import(context.Background(), f)
		if err != nil {
			return nil, err
		}
		return func() {
			a.canvas.drain()
			if a.canvas.Drawing() == d {
				d.Select(ids...)
				a.canvas.drain()
			}
			a.status.tell(fmt.Sprintf("Imported %s from “%s”", plural(len(ids), "shape", "shapes"), f.Name), false)
		}, nil
	})
}

// readDialog asks for a drawing file, reads and checks it in the background and hands it to use.
func (a *App) readDialog(verb string, use func(*draw.File) (func(), error)) {
	dlg := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil {
			a.status.tell(err.Error(), true)
			return
		}
		if r == nil {
			return
		}
		name := r.URI().Name()
		a.runLong(verb+" "+name, func() (func(), error) {
			f, err := draw.ReadFile(r)
			r.Close()
			if err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			return use(f)
		})
	}, a.win)
	dlg.SetFilter(storage.NewExtensionFileFilter([]string{".json"}))
	dlg.Resize(fyne.NewSize(820, 560))
	dlg.Show()
}
