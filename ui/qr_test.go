package ui

import (
	"image"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"github.com/stretchr/testify/require"
)

// A ticket shaped like a real one: the prefix and lower-case base32 of ~250 bytes (an ID, a
// secret, a name and a few addresses).
var sampleTicket = "detrans1-" + strings.Repeat("aebagbafaydqqcikbmga2dqpcaireeyuculbogazdinryhi6d4q", 8)

func TestQRImageIsASquareCodeWithAQuietZone(t *testing.T) {
	m, err := encodeQR(qrText(sampleTicket))
	require.NoError(t, err)
	n := m.size()
	const px = 250
	img, err := qrImage(qrText(sampleTicket), px)
	require.NoError(t, err)
	require.Equal(t, image.Rect(0, 0, px, px), img.Rect, "square, of the size asked for")

	scale := px / n
	require.GreaterOrEqual(t, scale, 2, "a ticket-sized code keeps modules of several pixels at 250 px")
	off := (px - n*scale) / 2
	margin := off + qrQuietZone*scale
	dark := 0
	for y := range px {
		for x := range px {
			v := img.GrayAt(x, y).Y
			require.True(t, v == 0 || v == 0xff, "only black and white, no blur: %d at %d,%d", v, x, y)
			inCode := x >= margin && x < px-margin && y >= margin && y < px-margin
			if !inCode {
				require.EqualValues(t, 0xff, v, "the quiet zone is white at %d,%d", x, y)
			}
			if v == 0 {
				dark++
			}
		}
	}
	require.Greater(t, dark, px*px/8, "the code has dark modules")

	// The top-left finder pattern: a 7×7 dark ring starts right inside the quiet zone.
	at := func(mx, my int) uint8 { return img.GrayAt(margin+mx*scale+scale/2, margin+my*scale+scale/2).Y }
	for i := range 7 {
		require.Zero(t, at(i, 0), "finder top edge")
		require.Zero(t, at(0, i), "finder left edge")
	}
	require.EqualValues(t, 0xff, at(1, 1), "finder's light ring")
	require.Zero(t, at(3, 3), "finder's centre")

	again, err := qrImage(qrText(sampleTicket), px)
	require.NoError(t, err)
	require.Equal(t, img.Pix, again.Pix, "the same ticket gives the same image")
	other, err := qrImage(qrText(sampleTicket+"a"), px)
	require.NoError(t, err)
	require.NotEqual(t, img.Pix, other.Pix)
}

func TestQRImageModulesAreWholePixels(t *testing.T) {
	m, err := encodeQR("DETRANS1-ABC")
	require.NoError(t, err)
	n := m.size()
	require.Equal(t, 21+2*qrQuietZone, n, "a short text is a version 1 code")
	for _, px := range []int{n, n + 1, 3*n - 1, 3 * n, 240} {
		img := m.image(px)
		require.Equal(t, px, img.Rect.Dx())
		scale := px / n
		off := (px - n*scale) / 2
		for y := range n {
			for x := range n {
				want := uint8(0xff)
				if m[y][x] {
					want = 0
				}
				// Every pixel of the module has the module's colour.
				for d := range scale {
					require.Equal(t, want, img.GrayAt(off+x*scale+d, off+y*scale+d).Y, "px %d module %d,%d", px, x, y)
				}
			}
		}
	}
	require.Equal(t, n, m.image(5).Rect.Dx(), "never below one pixel a module")
}

func TestQRImageOfHugeTextIsAnError(t *testing.T) {
	_, err := qrImage(strings.Repeat("x", 10<<10), 240)
	require.ErrorContains(t, err, "QR code")
	_, err = qrImage(strings.Repeat("A", 10<<10), 240)
	require.Error(t, err)
}

func TestQRTextUpperCasesOnlyTickets(t *testing.T) {
	require.Equal(t, "DETRANS1-ABC234", qrText("detrans1-abc234"))
	require.Equal(t, "DETRANS1-ABC234", qrText("DeTrans1-abc234"))
	require.Equal(t, "something-else", qrText("something-else"), "other text may be case-sensitive")
	require.Equal(t, "detrans1-ä", qrText("detrans1-ä"), "not QR alphanumeric: as is")

	lower, err := encodeQR(sampleTicket)
	require.NoError(t, err)
	upper, err := encodeQR(qrText(sampleTicket))
	require.NoError(t, err)
	require.Less(t, upper.size(), lower.size(), "upper case makes a smaller code")
}

// ticketBackend is a memory space that has an invite ticket.
type ticketBackend struct {
	*MemBackend
	ticket string
}

func (b *ticketBackend) Ticket() (string, error) { return b.ticket, nil }

func newTicketApp(t *testing.T, ticket string) *App {
	t.Helper()
	a := startTestApp(t, &ticketBackend{MemBackend: NewMemBackend("alice"), ticket: ticket})
	a.win.Resize(fyne.NewSize(1100, 720))
	return a
}

// dialogObjects lists what the top overlay (the open dialog) holds.
func dialogObjects(a *App) []fyne.CanvasObject {
	top := a.win.Canvas().Overlays().Top()
	if top == nil {
		return nil
	}
	return test.LaidOutObjects(top)
}

func TestInviteDialogShowsQRCodeAndTicket(t *testing.T) {
	a := newTicketApp(t, sampleTicket)
	a.showInvite()
	objs := dialogObjects(a)
	var qr *canvas.Raster
	var entry *widget.Entry
	for _, o := range objs {
		switch o := o.(type) {
		case *canvas.Raster:
			qr = o
		case *widget.Entry:
			entry = o
		}
	}
	require.NotNil(t, qr, "the dialog shows the QR code")
	require.NotNil(t, entry, "and the ticket as text")
	require.Equal(t, sampleTicket, entry.Text)
	require.GreaterOrEqual(t, qr.Size().Width, float32(qrViewMin))
	require.Equal(t, qr.Size().Width, qr.Size().Height, "square")

	img := a.win.Canvas().Capture()
	pos := fyne.CurrentApp().Driver().AbsolutePositionForObject(qr)
	s := a.win.Canvas().Scale()
	// The dialog may sit at a fractional position, which the painter rounds its own way: look
	// inside a one-pixel margin.
	x0, y0 := int(pos.X*s)+1, int(pos.Y*s)+1
	w := int(qr.Size().Width*s) - 2
	dark, light := 0, 0
	for y := y0; y < y0+w; y++ {
		for x := x0; x < x0+w; x++ {
			r, g, b, _ := img.At(x, y).RGBA()
			switch {
			case r == 0 && g == 0 && b == 0:
				dark++
			case r == 0xffff && g == 0xffff && b == 0xffff:
				light++
			}
		}
	}
	require.Equal(t, w*w, dark+light, "the code is drawn black on white, unscaled")
	require.Greater(t, dark, w*w/8)

	for _, o := range objs {
		if b, ok := o.(*widget.Button); ok && b.Text == "Copy ticket" {
			test.Tap(b)
		}
	}
	require.Equal(t, sampleTicket, a.fa.Clipboard().Content(), "the copy button copies the text as it is")
}

func TestInviteDialogInANarrowWindowPutsTheCodeAboveTheText(t *testing.T) {
	a := newTicketApp(t, sampleTicket)
	a.win.Resize(fyne.NewSize(420, 820)) // a phone
	a.showInvite()
	var qr, entry fyne.CanvasObject
	for _, o := range dialogObjects(a) {
		switch o.(type) {
		case *canvas.Raster:
			qr = o
		case *widget.Entry:
			entry = o
		}
	}
	require.NotNil(t, qr)
	require.NotNil(t, entry)
	d := fyne.CurrentApp().Driver()
	qrPos, entryPos := d.AbsolutePositionForObject(qr), d.AbsolutePositionForObject(entry)
	require.LessOrEqual(t, qrPos.Y+qr.Size().Height, entryPos.Y, "the code is above the text")
	require.LessOrEqual(t, qrPos.X+qr.Size().Width, float32(420), "and inside the window")
	require.Equal(t, qr.Size().Width, qr.Size().Height)
}

func TestInviteDialogWithAHugeTicketShowsTextOnly(t *testing.T) {
	huge := "detrans1-" + strings.Repeat("ab", 5<<10)
	a := newTicketApp(t, huge)
	a.showInvite() // must not panic or show an error
	var texts []string
	for _, o := range dialogObjects(a) {
		switch o := o.(type) {
		case *canvas.Raster:
			t.Fatal("no QR code for a ticket that does not fit one")
		case *widget.Label:
			texts = append(texts, o.Text)
		case *widget.Entry:
			require.Equal(t, huge, o.Text)
		}
	}
	require.Contains(t, strings.Join(texts, "\n"), "too long for a QR code")
}
