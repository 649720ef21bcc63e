package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// sidebarWidth is the side panel's width in Fyne units.
const sidebarWidth = 248

// sidebar is the panel on the left: the app's name, the drawings of the space and its people.
func (a *App) sidebar() fyne.CanvasObject {
	logo := canvas.NewImageFromImage(Logo(96))
	logo.FillMode = canvas.ImageFillContain
	logo.SetMinSize(fyne.NewSquareSize(30))
	title := widget.NewLabelWithStyle("DeTransDraw", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	title.SizeName = theme.SizeNameSubHeadingText
	header := container.New(layout.NewCustomPaddedLayout(10, 6, 12, 8),
		container.NewBorder(nil, nil, logo, nil, title))

	newBtn := widget.NewButtonWithIcon("", theme.ContentAddIcon(), a.newDrawing)
	newBtn.Importance = widget.LowImportance
	renameBtn := widget.NewButtonWithIcon("", theme.DocumentCreateIcon(), a.renameDrawing)
	renameBtn.Importance = widget.LowImportance
	drawingsHead := sectionHeader("DRAWINGS", container.NewHBox(newBtn, renameBtn))

	invite := widget.NewButtonWithIcon("Invite", iconLink, a.showInvite)
	join := widget.NewButtonWithIcon("Join", theme.LoginIcon(), a.showJoin)
	peopleHead := sectionHeader("PEOPLE", nil)
	people := container.NewVBox(
		peopleHead,
		container.New(layout.NewCustomPaddedLayout(0, 0, 8, 8), a.peers.obj),
		container.New(layout.NewCustomPaddedLayout(4, 10, 10, 10), container.NewGridWithColumns(2, invite, join)),
	)

	top := container.NewVBox(header, widget.NewSeparator(), drawingsHead)
	list := container.New(layout.NewCustomPaddedLayout(0, 0, 4, 4), a.list.list)
	body := container.NewBorder(top, container.NewVBox(widget.NewSeparator(), people), nil, nil, list)
	bg := canvas.NewRectangle(theme.Color(theme.ColorNameHeaderBackground))
	return container.New(fixedWidth{sidebarWidth}, container.NewStack(bg, body))
}

// sectionHeader is a small capitalised caption with optional buttons at its right.
func sectionHeader(text string, buttons fyne.CanvasObject) fyne.CanvasObject {
	caption := canvas.NewText(text, theme.Color(theme.ColorNamePlaceHolder))
	caption.TextStyle.Bold = true
	caption.TextSize = 11
	row := container.NewBorder(nil, nil, container.NewCenter(caption), buttons)
	return container.New(layout.NewCustomPaddedLayout(8, 2, 14, 8), container.New(layout.NewCustomPaddedLayout(0, 0, 0, 0), withMinHeight(row, 30)))
}

func withMinHeight(o fyne.CanvasObject, h float32) fyne.CanvasObject {
	spacer := canvas.NewRectangle(color.Transparent)
	spacer.SetMinSize(fyne.NewSize(0, h))
	return container.NewStack(spacer, o)
}

// fixedWidth lays out its objects over its whole area and asks for a fixed width.
type fixedWidth struct{ w float32 }

func (f fixedWidth) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objs {
		o.Move(fyne.Position{})
		o.Resize(size)
	}
}

func (f fixedWidth) MinSize(objs []fyne.CanvasObject) fyne.Size {
	h := float32(0)
	for _, o := range objs {
		h = max(h, o.MinSize().Height)
	}
	return fyne.NewSize(f.w, h)
}
