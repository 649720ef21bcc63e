package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/detrans/detrans/app/draw"
)

// drawingsList shows the space's drawings by name; choosing one opens it.
type drawingsList struct {
	items   []draw.Info
	current string
	list    *widget.List
	quiet   bool // set while the list's selection is moved to follow the open drawing
	onOpen  func(draw.Info)
}

func newDrawingsList(onOpen func(draw.Info)) *drawingsList {
	l := &drawingsList{onOpen: onOpen}
	l.list = widget.NewList(
		func() int { return len(l.items) },
		func() fyne.CanvasObject {
			label := widget.NewLabel("Drawing name")
			label.Truncation = fyne.TextTruncateEllipsis
			return container.NewBorder(nil, nil, widget.NewIcon(theme.DocumentIcon()), nil, label)
		},
		func(i widget.ListItemID, o fyne.CanvasObject) {
			if i < 0 || i >= len(l.items) {
				return
			}
			label := o.(*fyne.Container).Objects[0].(*widget.Label)
			label.SetText(l.items[i].Name)
			label.TextStyle.Bold = l.items[i].ID == l.current
			label.Refresh()
		},
	)
	l.list.OnSelected = func(i widget.ListItemID) {
		if l.quiet || i < 0 || i >= len(l.items) {
			return
		}
		if l.items[i].ID != l.current {
			l.onOpen(l.items[i])
		}
	}
	return l
}

// set replaces the items and marks current as the open one.
func (l *drawingsList) set(items []draw.Info, current string) {
	l.items, l.current = items, current
	l.list.Refresh()
	l.follow()
}

// setCurrent marks the open drawing.
func (l *drawingsList) setCurrent(id string) {
	l.current = id
	l.list.Refresh()
	l.follow()
}

func (l *drawingsList) follow() {
	l.quiet = true
	defer func() { l.quiet = false }()
	for i, it := range l.items {
		if it.ID == l.current {
			l.list.Select(i)
			return
		}
	}
	l.list.UnselectAll()
}

// name is the listed name of drawing id.
func (l *drawingsList) name(id string) string {
	for _, it := range l.items {
		if it.ID == id {
			return it.Name
		}
	}
	return ""
}
