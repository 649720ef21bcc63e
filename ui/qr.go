package ui

import (
	"fmt"
	"image"
	"image/draw"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"github.com/skip2/go-qrcode"
)

// QR codes for invite tickets, so a phone can scan the ticket off the screen. The code is drawn
// module by module at a whole number of pixels per module, because a scaled (blurred or unevenly
// sampled) code is what phone cameras fail to read.

// qrQuietZone is the white margin, in modules, that the QR standard asks for around the code.
// go-qrcode's Bitmap includes it.
const qrQuietZone = 4

// qrMatrix is an encoded QR code, quiet zone included: qrMatrix[y][x] is true for a dark module.
type qrMatrix [][]bool

// encodeQR encodes text with medium error correction (about 15% of the code may be unreadable).
// Text too long for the largest QR code is an error.
func encodeQR(text string) (m qrMatrix, err error) {
	// go-qrcode checks its own invariants with log.Panic; a code the UI cannot draw must not take
	// the app down with it.
	defer func() {
		if r := recover(); r != nil {
			m, err = nil, fmt.Errorf("making a QR code: %v", r)
		}
	}()
	q, err := qrcode.New(text, qrcode.Medium)
	if err != nil {
		return nil, fmt.Errorf("making a QR code of %d characters: %w", len(text), err)
	}
	return q.Bitmap(), nil
}

// size is the width (and height) of the code in modules, quiet zone included.
func (m qrMatrix) size() int { return len(m) }

// image draws the code into a px×px square (larger if px is below one pixel per module): black
// modules of a whole number of pixels each, centred, on white. The rest of the square widens the
// quiet zone.
func (m qrMatrix) image(px int) *image.Gray {
	n := m.size()
	px = max(px, n)
	scale := px / n
	off := (px - n*scale) / 2
	img := image.NewGray(image.Rect(0, 0, px, px))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	for y, row := range m {
		for x, dark := range row {
			if !dark {
				continue
			}
			for dy := range scale {
				i := img.PixOffset(off+x*scale, off+y*scale+dy)
				clear(img.Pix[i : i+scale]) // black
			}
		}
	}
	return img
}

// qrImage is text as a QR code in a px×px square (see qrMatrix.image).
func qrImage(text string, px int) (*image.Gray, error) {
	m, err := encodeQR(text)
	if err != nil {
		return nil, err
	}
	return m.image(px), nil
}

// qrText is the text to put in the QR code for a ticket. A DeTrans ticket is "detrans1-" and
// base32, read without regard to case (app/space.ParseTicket), so its upper-case form is the same
// ticket; upper case fits QR's alphanumeric mode (5.5 bits a character instead of 8), which makes
// the code smaller and its modules bigger, so easier to scan. Other text is left alone.
func qrText(ticket string) string {
	const prefix = "detrans1-"
	if len(ticket) < len(prefix) || !strings.EqualFold(ticket[:len(prefix)], prefix) {
		return ticket
	}
	up := strings.ToUpper(ticket)
	for _, r := range up {
		if !strings.ContainsRune("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:", r) {
			return ticket
		}
	}
	return up
}

// The QR view is qrViewMin wide, or wider for a dense code so that a module keeps at least
// qrMinModulePx (device-independent) pixels: smaller modules are hard to scan off a screen. It
// stops growing at qrViewMax to stay inside the dialog.
const (
	qrViewMin     = 240
	qrViewMax     = 400
	qrMinModulePx = 2
)

// newQRView shows a QR code. It is a raster rather than a canvas.Image so that it is drawn at the
// screen's real pixel size (whatever the display scale), each module a whole number of pixels.
func newQRView(m qrMatrix) *canvas.Raster {
	r := canvas.NewRaster(func(w, h int) image.Image {
		s := min(w, h)
		code := m.image(s)
		if w == h && code.Rect.Dx() == s {
			return code
		}
		// Not square (or too small): the code centred, the rest transparent.
		out := image.NewNRGBA(image.Rect(0, 0, max(w, code.Rect.Dx()), max(h, code.Rect.Dy())))
		at := image.Pt((out.Rect.Dx()-code.Rect.Dx())/2, (out.Rect.Dy()-code.Rect.Dy())/2)
		draw.Draw(out, code.Rect.Add(at), code, image.Point{}, draw.Src)
		return out
	})
	r.ScaleMode = canvas.ImageScalePixels
	side := float32(min(max(qrViewMin, qrMinModulePx*m.size()), qrViewMax))
	r.SetMinSize(fyne.NewSize(side, side))
	return r
}
