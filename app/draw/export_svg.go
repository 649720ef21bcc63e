package draw

import (
	"bufio"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
)

// WriteSVG writes shapes (bottom to top) as a standalone SVG document. Text uses Go Mono, with
// the same metrics as the model's boxes, falling back to any monospace font.
func WriteSVG(w io.Writer, shapes []Shape, o ExportOptions) error {
	area, err := o.area(shapes)
	if err != nil {
		return err
	}
	for i := range shapes {
		if err := shapes[i].Validate(); err != nil {
			return fmt.Errorf("export: shape %s: %w", shapes[i].ID, err)
		}
	}
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
	fmt.Fprintf(bw, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%s\" height=\"%s\" viewBox=\"%s %s %s %s\">\n",
		num(area.Dx()), num(area.Dy()), num(area.Min.X), num(area.Min.Y), num(area.Dx()), num(area.Dy()))
	if o.Background.A > 0 {
		fmt.Fprintf(bw, "<rect x=\"%s\" y=\"%s\" width=\"%s\" height=\"%s\"%s/>\n",
			num(area.Min.X), num(area.Min.Y), num(area.Dx()), num(area.Dy()), paint("fill", o.Background))
	}
	for i := range shapes {
		svgShape(bw, &shapes[i])
	}
	bw.WriteString("</svg>\n")
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("export SVG: %w", err)
	}
	return nil
}

// paint is a fill or stroke colour attribute, with opacity only when not opaque.
func paint(attr string, c Color) string {
	if c.A == 0 {
		return fmt.Sprintf(` %s="none"`, attr)
	}
	s := fmt.Sprintf(` %s="#%02x%02x%02x"`, attr, c.R, c.G, c.B)
	if c.A < 255 {
		s += fmt.Sprintf(` %s-opacity="%s"`, attr, num(float64(c.A)/255))
	}
	return s
}

func strokeAttrs(s *Shape) string {
	if s.Width <= 0 || s.Stroke.A == 0 {
		return ` stroke="none"`
	}
	return paint("stroke", s.Stroke) + fmt.Sprintf(` stroke-width="%s"`, num(s.Width))
}

func pts(ps ...Point) string {
	var b strings.Builder
	for i, p := range ps {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(num(p.X))
		b.WriteByte(',')
		b.WriteString(num(p.Y))
	}
	return b.String()
}

func svgShape(w *bufio.Writer, s *Shape) {
	id := fmt.Sprintf(` data-id="%s"`, s.ID)
	if s.ID.Author == "" {
		id = ""
	}
	const round = ` stroke-linecap="round" stroke-linejoin="round"`
	switch s.Kind {
	case KindStroke:
		if len(s.Points) == 1 {
			if s.Width > 0 && s.Stroke.A > 0 {
				fmt.Fprintf(w, "<circle%s cx=\"%s\" cy=\"%s\" r=\"%s\"%s/>\n", id, num(s.Points[0].X), num(s.Points[0].Y), num(s.Width/2), paint("fill", s.Stroke))
			}
			return
		}
		fmt.Fprintf(w, "<polyline%s points=\"%s\" fill=\"none\"%s%s/>\n", id, pts(s.Points...), strokeAttrs(s), round)
	case KindLine:
		a, b := s.Points[0], s.Points[1]
		fmt.Fprintf(w, "<line%s x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\"%s%s/>\n", id, num(a.X), num(a.Y), num(b.X), num(b.Y), strokeAttrs(s), round)
	case KindArrow:
		a, b := s.Points[0], s.Points[1]
		l, r := arrowHead(a, b, s.Width)
		fmt.Fprintf(w, "<g%s fill=\"none\"%s%s><line x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\"/><polyline points=\"%s\"/></g>\n",
			id, strokeAttrs(s), round, num(a.X), num(a.Y), num(b.X), num(b.Y), pts(l, b, r))
	case KindRect:
		b := s.Box()
		fmt.Fprintf(w, "<rect%s x=\"%s\" y=\"%s\" width=\"%s\" height=\"%s\"%s%s/>\n", id, num(b.Min.X), num(b.Min.Y), num(b.Dx()), num(b.Dy()), paint("fill", s.Fill), strokeAttrs(s))
	case KindEllipse:
		b := s.Box()
		fmt.Fprintf(w, "<ellipse%s cx=\"%s\" cy=\"%s\" rx=\"%s\" ry=\"%s\"%s%s/>\n", id, num((b.Min.X+b.Max.X)/2), num((b.Min.Y+b.Max.Y)/2), num(b.Dx()/2), num(b.Dy()/2), paint("fill", s.Fill), strokeAttrs(s))
	case KindText:
		b := s.Box()
		fmt.Fprintf(w, "<g%s>", id)
		if s.Fill.A > 0 {
			fmt.Fprintf(w, "<rect x=\"%s\" y=\"%s\" width=\"%s\" height=\"%s\"%s/>", num(b.Min.X), num(b.Min.Y), num(b.Dx()), num(b.Dy()), paint("fill", s.Fill))
		}
		for i, ln := range strings.Split(s.Text, "\n") {
			y := b.Min.Y + (textAscent+float64(i)*textLineHeight)*s.FontSize
			fmt.Fprintf(w, "<text x=\"%s\" y=\"%s\" font-family=\"Go Mono, monospace\" font-size=\"%s\"%s xml:space=\"preserve\">",
				num(b.Min.X), num(y), num(s.FontSize), paint("fill", s.Stroke))
			xml.EscapeText(w, []byte(ln))
			w.WriteString("</text>")
		}
		w.WriteString("</g>\n")
	}
}
