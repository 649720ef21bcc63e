package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// chip is a compact square toggle for the toolbar: tools, colours, widths, fills and actions. It
// shows a hint while hovered (Fyne has no tooltips) and a tinted background while selected.
type chip struct {
	widget.BaseWidget
	content  fyne.CanvasObject
	selected bool
	hovered  bool
	disabled bool
	side     float32
	onTap    func()
	hint     string
	onHint   func(string)
}

func newChip(content fyne.CanvasObject, hint string, onTap func(), onHint func(string)) *chip {
	ch := &chip{content: content, hint: hint, onTap: onTap, onHint: onHint, side: 34}
	ch.ExtendBaseWidget(ch)
	return ch
}

func iconChip(res fyne.Resource, hint string, onTap func(), onHint func(string)) *chip {
	img := canvas.NewImageFromResource(res)
	img.FillMode = canvas.ImageFillContain
	img.SetMinSize(fyne.NewSquareSize(20))
	return newChip(img, hint, onTap, onHint)
}

func (ch *chip) setSelected(on bool) {
	if ch.selected != on {
		ch.selected = on
		ch.Refresh()
	}
}

func (ch *chip) setDisabled(off bool) {
	if ch.disabled != off {
		ch.disabled = off
		ch.Refresh()
	}
}

// Tapped implements fyne.Tappable.
func (ch *chip) Tapped(*fyne.PointEvent) {
	if ch.onTap != nil && !ch.disabled {
		ch.onTap()
	}
}

// MouseIn implements desktop.Hoverable.
func (ch *chip) MouseIn(*desktop.MouseEvent) {
	ch.hovered = true
	if ch.onHint != nil {
		ch.onHint(ch.hint)
	}
	ch.Refresh()
}

// MouseMoved implements desktop.Hoverable.
func (ch *chip) MouseMoved(*desktop.MouseEvent) {}

// MouseOut implements desktop.Hoverable.
func (ch *chip) MouseOut() {
	ch.hovered = false
	if ch.onHint != nil {
		ch.onHint("")
	}
	ch.Refresh()
}

// CreateRenderer implements fyne.Widget.
func (ch *chip) CreateRenderer() fyne.WidgetRenderer {
	bg := &canvas.Rectangle{CornerRadius: 7}
	r := &chipRenderer{ch: ch, bg: bg}
	r.Refresh()
	return r
}

type chipRenderer struct {
	ch *chip
	bg *canvas.Rectangle
}

func (r *chipRenderer) Layout(size fyne.Size) {
	r.bg.Resize(size)
	m := r.ch.content.MinSize()
	r.ch.content.Resize(m)
	r.ch.content.Move(fyne.NewPos((size.Width-m.Width)/2, (size.Height-m.Height)/2))
}

func (r *chipRenderer) MinSize() fyne.Size { return fyne.NewSquareSize(r.ch.side) }

func (r *chipRenderer) Refresh() {
	ch := r.ch
	switch {
	case ch.selected:
		r.bg.FillColor = withAlpha(theme.Color(theme.ColorNamePrimary), 0x2e)
		r.bg.StrokeColor = withAlpha(theme.Color(theme.ColorNamePrimary), 0x90)
		r.bg.StrokeWidth = 1
	case ch.hovered && !ch.disabled:
		r.bg.FillColor = theme.Color(theme.ColorNameHover)
		r.bg.StrokeWidth = 0
	default:
		r.bg.FillColor = color.Transparent
		r.bg.StrokeWidth = 0
	}
	if img, ok := ch.content.(*canvas.Image); ok {
		if ch.disabled {
			img.Translucency = 0.65
		} else {
			img.Translucency = 0
		}
		img.Refresh()
	}
	r.bg.Refresh()
	ch.content.Refresh()
}

func (r *chipRenderer) Objects() []fyne.CanvasObject { return []fyne.CanvasObject{r.bg, r.ch.content} }

func (r *chipRenderer) Destroy() {}
