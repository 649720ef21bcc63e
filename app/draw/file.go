package draw

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// The drawing file format (also described in FORMAT.md), version 1:
//
//	{
//	  "format": "detrans-draw",
//	  "version": 1,
//	  "name": "Floor plan",
//	  "shapes": [
//	    {"id":"alice/1","kind":"rect","points":[[0,0],[100,50]],"stroke":"#000000ff","width":2,"fill":"#ffcc00ff","z":1},
//	    {"id":"bob/4","kind":"text","points":[[10,10]],"stroke":"#000000ff","width":0,"z":2,"text":"Hall","size":14}
//	  ]
//	}
//
// Shapes are listed bottom to top. id is informative (ids belong to the peers that created the
// shapes; imported shapes get new ids). Unknown fields, another format or a newer version are
// rejected rather than half-read.
const (
	FileFormat    = "detrans-draw"
	FileVersion   = 1
	MaxFileBytes  = 64 << 20
	MaxFileShapes = 100_000
)

// File is a drawing as saved to or read from a file.
type File struct {
	Name   string
	Shapes []Shape // bottom to top
}

type fileDoc struct {
	Format  string       `json:"format"`
	Version int          `json:"version"`
	Name    string       `json:"name"`
	Shapes  *[]fileShape `json:"shapes"`
}

type fileShape struct {
	ID     string      `json:"id,omitempty"`
	Kind   Kind        `json:"kind"`
	Points [][]float64 `json:"points"`
	Stroke string      `json:"stroke"`
	Width  float64     `json:"width"`
	Fill   string      `json:"fill,omitempty"`
	Z      float64     `json:"z"`
	Text   string      `json:"text,omitempty"`
	Size   float64     `json:"size,omitempty"`
}

// ReadFile reads and fully checks a drawing file. The error says what is wrong and where
// (line and column for syntax, shapes[i] and the field for content); nothing is half-read.
func ReadFile(r io.Reader) (*File, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("drawing file: %w", err)
	}
	if len(data) > MaxFileBytes {
		return nil, fmt.Errorf("drawing file: larger than %d MiB", MaxFileBytes>>20)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var doc fileDoc
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("drawing file: %w", locate(data, err))
	}
	if dec.More() {
		return nil, fmt.Errorf("drawing file: unexpected data after the drawing (line %d)", lineOf(data, dec.InputOffset()))
	}
	if doc.Format != FileFormat {
		return nil, fmt.Errorf("drawing file: format is %q, want %q", doc.Format, FileFormat)
	}
	if doc.Version != FileVersion {
		return nil, fmt.Errorf("drawing file: version %d is not supported (this program reads version %d)", doc.Version, FileVersion)
	}
	if err := validTitle(doc.Name); err != nil {
		return nil, fmt.Errorf("drawing file: name %w", err)
	}
	if doc.Shapes == nil {
		return nil, errors.New(`drawing file: "shapes" is missing`)
	}
	if len(*doc.Shapes) > MaxFileShapes {
		return nil, fmt.Errorf("drawing file: %d shapes, at most %d", len(*doc.Shapes), MaxFileShapes)
	}
	f := &File{Name: doc.Name, Shapes: make([]Shape, len(*doc.Shapes))}
	for i, fs := range *doc.Shapes {
		s, err := fs.shape()
		if err != nil {
			if fs.ID != "" {
				return nil, fmt.Errorf("drawing file: shapes[%d] (id %s): %w", i, fs.ID, err)
			}
			return nil, fmt.Errorf("drawing file: shapes[%d]: %w", i, err)
		}
		f.Shapes[i] = s
	}
	return f, nil
}

func (fs *fileShape) shape() (Shape, error) {
	var id ShapeID
	if fs.ID != "" {
		var err error
		if id, err = ParseShapeID(fs.ID); err != nil {
			return Shape{}, fmt.Errorf("id: %w", err)
		}
	}
	r := record{Kind: fs.Kind, Points: fs.Points, Stroke: fs.Stroke, Width: fs.Width, Fill: fs.Fill, Z: fs.Z, Text: fs.Text, Size: fs.Size}
	return r.shape(id)
}

// locate turns a JSON error into one naming the line and column.
func locate(data []byte, err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		l, c := lineCol(data, syn.Offset)
		return fmt.Errorf("line %d, column %d: %v", l, c, syn)
	case errors.As(err, &typ):
		l, c := lineCol(data, typ.Offset)
		return fmt.Errorf("line %d, column %d: %s holds a JSON %s, want %s", l, c, typ.Field, typ.Value, typ.Type)
	case errors.Is(err, io.EOF):
		return errors.New("empty file")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errors.New("the file ends in the middle of the drawing")
	}
	return err
}

func lineOf(data []byte, off int64) int { l, _ := lineCol(data, off); return l }

func lineCol(data []byte, off int64) (line, col int) {
	off = min(max(off, 0), int64(len(data)))
	before := data[:off]
	line = bytes.Count(before, []byte("\n")) + 1
	col = int(off) - (bytes.LastIndexByte(before, '\n') + 1) + 1
	return line, col
}

// Write saves f: one shape per line, so files diff well.
func (f *File) Write(w io.Writer) error {
	if err := validTitle(f.Name); err != nil {
		return fmt.Errorf("save drawing: name %w", err)
	}
	for i := range f.Shapes {
		if err := f.Shapes[i].Validate(); err != nil {
			return fmt.Errorf("save drawing: shape %d (%s): %w", i, f.Shapes[i].ID, err)
		}
	}
	bw := bufio.NewWriter(w) // nothing is written unless everything is valid
	name, _ := marshalPlain(f.Name)
	fmt.Fprintf(bw, "{\n  \"format\": %q,\n  \"version\": %d,\n  \"name\": %s,\n  \"shapes\": [", FileFormat, FileVersion, name)
	for i := range f.Shapes {
		s := &f.Shapes[i]
		r := toRecord(s)
		fs := fileShape{Kind: r.Kind, Points: r.Points, Stroke: r.Stroke, Width: r.Width, Fill: r.Fill, Z: r.Z, Text: r.Text, Size: r.Size}
		if s.ID.Author != "" {
			fs.ID = s.ID.String()
		}
		b, err := marshalPlain(fs)
		if err != nil {
			return fmt.Errorf("save drawing: shape %s: %w", s.ID, err)
		}
		sep := ","
		if i == 0 {
			sep = ""
		}
		fmt.Fprintf(bw, "%s\n    %s", sep, b)
	}
	if len(f.Shapes) > 0 {
		bw.WriteString("\n  ")
	}
	bw.WriteString("]\n}\n")
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("save drawing: %w", err)
	}
	return nil
}

// marshalPlain is json.Marshal without escaping <, > and &, which a person reading the file
// would rather see as they are.
func marshalPlain(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// Snapshot is the drawing as a File: its name and live shapes, bottom to top.
func (d *Drawing) Snapshot() *File {
	return &File{Name: d.Name(), Shapes: d.Shapes()}
}

// Save writes the drawing to w in the file format.
func (d *Drawing) Save(w io.Writer) error { return d.Snapshot().Write(w) }

// Import adds a file's shapes on top of the drawing, as my new shapes, in one undoable step; it
// returns their ids in file order. Importing adds rather than replaces: in a shared drawing,
// loading a file must not wipe out what others drew. Read the file with ReadFile first: a bad file
// fails there, before anything changes.
func (d *Drawing) Import(ctx context.Context, f *File) ([]ShapeID, error) {
	if len(f.Shapes) == 0 {
		return nil, nil
	}
	ids, err := d.AddAll(ctx, f.Shapes)
	if err != nil {
		return nil, fmt.Errorf("import %q: %w", f.Name, err)
	}
	return ids, nil
}

// CreateFrom creates a drawing named after the file, holding its shapes.
func (l *Library) CreateFrom(ctx context.Context, f *File) (Info, error) {
	info, err := l.Create(ctx, f.Name)
	if err != nil {
		return Info{}, err
	}
	d, err := l.Open(ctx, info.ID)
	if err != nil {
		return Info{}, err
	}
	defer d.Close()
	if _, err := d.Import(ctx, f); err != nil {
		return Info{}, err
	}
	return info, nil
}
