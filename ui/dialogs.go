package ui

import (
	"context"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// askName shows a one-field form for a drawing name.
func (a *App) askName(title, confirm, initial string, done func(string)) {
	e := widget.NewEntry()
	e.SetText(initial)
	e.Validator = func(s string) error {
		if strings.TrimSpace(s) == "" {
			return errEmptyName
		}
		return nil
	}
	d := dialog.NewForm(title, confirm, "Cancel", []*widget.FormItem{widget.NewFormItem("Name", e)}, func(ok bool) {
		if ok {
			done(strings.TrimSpace(e.Text))
		}
		a.canvas.focus()
	}, a.win)
	d.Resize(fyne.NewSize(420, d.MinSize().Height))
	d.Show()
	a.win.Canvas().Focus(e)
	e.DoubleTapped(nil) // select the suggested name so typing replaces it
}

type nameError string

func (e nameError) Error() string { return string(e) }

const errEmptyName = nameError("a drawing needs a name")

// newDrawing asks for a name and creates and opens the drawing.
func (a *App) newDrawing() {
	a.askName("New drawing", "Create", "Untitled", a.createDrawing)
}

// renameDrawing asks for a new name for the open drawing.
func (a *App) renameDrawing() {
	d := a.open
	if d == nil {
		return
	}
	a.askName("Rename drawing", "Rename", d.Name(), func(name string) {
		if err := d.Rename(context.Background(), name); err != nil {
			a.status.tell(err.Error(), true)
		}
		a.canvas.drain()
		a.refreshList()
		a.updateTitle()
	})
}

// showInvite shows the space's invite ticket as a QR code for a phone to scan and as text, ready
// to copy. A ticket too long for a QR code is shown as text only.
func (a *App) showInvite() {
	ticket, err := a.be.Ticket()
	if err != nil {
		dialog.ShowInformation("Invite people", wrapText(friendly(err)), a.win)
		return
	}
	e := widget.NewEntry()
	e.SetText(ticket)
	e.MultiLine = true
	e.Wrapping = fyne.TextWrapBreak
	e.OnChanged = func(string) { e.SetText(ticket) } // read-only, but selectable
	copyBtn := widget.NewButtonWithIcon("Copy ticket", theme.ContentCopyIcon(), func() {
		a.fa.Clipboard().SetContent(ticket)
		a.status.tell("Invite ticket copied", false)
	})
	copyBtn.Importance = widget.HighImportance
	text := container.NewBorder(nil, container.NewHBox(copyBtn), nil, nil, e)
	const who = "Anyone who has it can join this space and see and edit its drawings."
	info := widget.NewLabel("Send this ticket to the people you want to draw with. " + who)
	info.Wrapping = fyne.TextWrapWord
	var body fyne.CanvasObject
	size := fyne.NewSize(520, 360)
	if m, err := encodeQR(qrText(ticket)); err == nil {
		info.SetText("Let the people you want to draw with scan this code with their phone, or send them the ticket. " + who)
		qr := newQRView(m)
		side := qr.MinSize().Width
		caption := widget.NewLabelWithStyle("Scan to join", fyne.TextAlignCenter, fyne.TextStyle{})
		caption.SizeName = theme.SizeNameCaptionText
		code := container.NewVBox(qr, caption)
		if win := a.win.Canvas().Size(); win.Width >= side+460 {
			pad := container.New(layout.NewCustomPaddedLayout(0, 0, 0, theme.Padding()*2), code)
			body = container.NewBorder(info, nil, pad, nil, text)
			size = fyne.NewSize(side+420, side+200)
		} else { // a narrow window (a phone): the code above the text
			body = container.NewBorder(container.NewVBox(info, container.NewCenter(code)), nil, nil, nil, text)
			size = fyne.NewSize(win.Width, side+360)
		}
	} else {
		note := widget.NewLabelWithStyle("This ticket is too long for a QR code: send it as text.", fyne.TextAlignLeading, fyne.TextStyle{Italic: true})
		note.Wrapping = fyne.TextWrapWord
		body = container.NewBorder(container.NewVBox(info, note), nil, nil, nil, text)
	}
	d := dialog.NewCustom("Invite people", "Close", body, a.win)
	d.Resize(size)
	d.Show()
}

// showJoin asks for a ticket and joins its space in the background.
func (a *App) showJoin() {
	e := widget.NewMultiLineEntry()
	e.SetPlaceHolder("Paste the invite ticket you were sent")
	e.Wrapping = fyne.TextWrapBreak
	e.SetMinRowsVisible(4)
	d := dialog.NewForm("Join a space", "Join", "Cancel", []*widget.FormItem{widget.NewFormItem("Ticket", e)}, func(ok bool) {
		ticket := strings.TrimSpace(e.Text)
		if !ok || ticket == "" {
			return
		}
		a.runLong("Joining the space", func() (func(), error) {
			if err := a.be.Join(context.Background(), ticket); err != nil {
				return nil, err
			}
			return func() {
				a.status.tell("Joined the space", false)
				a.refreshList()
				a.poll(time.Now())
			}, nil
		})
	}, a.win)
	d.Resize(fyne.NewSize(520, d.MinSize().Height))
	d.Show()
}

// showNotices lists the notices of this session: merges, dropped edits, errors.
func (a *App) showNotices() {
	text := "No notices yet. Merged conflicts, dropped edits and errors are listed here."
	if h := a.status.history; len(h) > 0 {
		text = strings.Join(h, "\n")
	}
	l := widget.NewLabel(text)
	l.Wrapping = fyne.TextWrapWord
	d := dialog.NewCustom("Notices", "Close", container.NewVScroll(l), a.win)
	d.Resize(fyne.NewSize(620, 400))
	d.Show()
}

func (a *App) showShortcuts() {
	l := widget.NewLabel(shortcutHelp)
	d := dialog.NewCustom("Keyboard shortcuts", "Close", container.NewVScroll(l), a.win)
	d.Resize(fyne.NewSize(680, 480))
	d.Show()
}

func (a *App) showAbout() {
	dialog.ShowInformation("About DeTransDraw", wrapText("DeTransDraw is a shared drawing board. "+
		"Every copy keeps working offline and merges its edits when it meets the others again."), a.win)
}

// wrapText breaks a message into lines of about 60 characters (information dialogs do not wrap).
func wrapText(s string) string {
	var out, line strings.Builder
	for _, w := range strings.Fields(s) {
		if line.Len() > 0 && line.Len()+1+len(w) > 60 {
			out.WriteString(line.String() + "\n")
			line.Reset()
		}
		if line.Len() > 0 {
			line.WriteByte(' ')
		}
		line.WriteString(w)
	}
	out.WriteString(line.String())
	return out.String()
}
