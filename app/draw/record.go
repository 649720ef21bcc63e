package draw

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Key layout. Every shape has its own key and the shape list is the prefix scan of a drawing's
// shape keys, so no edit locks a list that others also write. The only other per-drawing key an
// edit touches is the editor's own counter, which no one else writes.
//
//	draw/list/<drawing>                        drawing metadata (name, creator)
//	draw/dseq/<author>                         author's drawing counter (ids of created drawings)
//	draw/doc/<drawing>/shape/<author>/<n>      one shape, or its tombstone
//	draw/doc/<drawing>/seq/<author>            author's shape/tombstone counter in the drawing
const (
	listPrefix = "draw/list/"
	dseqPrefix = "draw/dseq/"
)

func listKey(d string) string     { return listPrefix + d }
func docPrefix(d string) string   { return "draw/doc/" + d + "/" }
func shapePrefix(d string) string { return docPrefix(d) + "shape/" }
func seqKey(d, author string) string {
	return docPrefix(d) + "seq/" + author
}
func shapeKey(d string, id ShapeID) string { return shapePrefix(d) + id.String() }

// shapeIDFromKey inverts shapeKey; ok is false for keys of other kinds.
func shapeIDFromKey(d, key string) (ShapeID, bool) {
	rest, ok := strings.CutPrefix(key, shapePrefix(d))
	if !ok {
		return ShapeID{}, false
	}
	id, err := ParseShapeID(rest)
	return id, err == nil
}

// record is the stored (and, with ID, saved-to-file) form of a shape or its tombstone. Points are
// [x, y] pairs because a stroke can have thousands of them.
type record struct {
	ID       string      `json:"id,omitempty"`
	Kind     Kind        `json:"kind,omitempty"`
	Points   [][]float64 `json:"points,omitempty"`
	Stroke   string      `json:"stroke,omitempty"`
	Width    float64     `json:"width,omitempty"`
	Fill     string      `json:"fill,omitempty"`
	Z        float64     `json:"z,omitempty"`
	Text     string      `json:"text,omitempty"`
	Size     float64     `json:"size,omitempty"`
	EditedBy string      `json:"editedBy,omitempty"`

	// Tombstone fields: a deleted shape keeps its key until its deleter's cap purges it, so a
	// concurrent edit can tell the user who deleted the shape it touched.
	Deleted bool   `json:"deleted,omitempty"`
	By      string `json:"by,omitempty"`
	Seq     uint64 `json:"seq,omitempty"`
}

// tombstone is a deleted shape's remains.
type tombstone struct {
	By  string
	Seq uint64 // the deleter's counter at deletion: purge order
}

func toRecord(s *Shape) record {
	r := record{
		Kind: s.Kind, Stroke: s.Stroke.String(), Width: s.Width, Z: s.Z,
		Text: s.Text, Size: s.FontSize, EditedBy: s.EditedBy,
		Points: make([][]float64, len(s.Points)),
	}
	for i, p := range s.Points {
		r.Points[i] = []float64{p.X, p.Y}
	}
	if s.Fill.A > 0 {
		r.Fill = s.Fill.String()
	}
	return r
}

// shape converts and validates a live record; the error names the field.
func (r *record) shape(id ShapeID) (Shape, error) {
	s := Shape{ID: id, Kind: r.Kind, Width: r.Width, Z: r.Z, Text: r.Text, FontSize: r.Size, EditedBy: r.EditedBy}
	var err error
	if s.Stroke, err = ParseColor(r.Stroke); err != nil {
		return Shape{}, fmt.Errorf("stroke: %w", err)
	}
	if r.Fill != "" {
		if s.Fill, err = ParseColor(r.Fill); err != nil {
			return Shape{}, fmt.Errorf("fill: %w", err)
		}
	}
	if len(r.Points) > MaxPoints {
		return Shape{}, fmt.Errorf("points: %d points, at most %d", len(r.Points), MaxPoints)
	}
	s.Points = make([]Point, len(r.Points))
	for i, p := range r.Points {
		if len(p) != 2 {
			return Shape{}, fmt.Errorf("points[%d]: want [x, y], got %d numbers", i, len(p))
		}
		s.Points[i] = Point{p[0], p[1]}
	}
	if err := s.Validate(); err != nil {
		return Shape{}, err
	}
	return s, nil
}

// stored is a decoded shape key: a live shape, a tombstone, or nothing.
type stored struct {
	shape *Shape
	tomb  *tombstone
}

// decodeStored never trusts the bytes: a peer may run a buggy or newer version.
func decodeStored(id ShapeID, v Value) (stored, error) {
	if !v.Exists() {
		return stored{}, nil
	}
	var r record
	if err := json.Unmarshal(v.Data, &r); err != nil {
		return stored{}, fmt.Errorf("shape %s: %w", id, err)
	}
	if r.Deleted {
		return stored{tomb: &tombstone{By: r.By, Seq: r.Seq}}, nil
	}
	s, err := r.shape(id)
	if err != nil {
		return stored{}, fmt.Errorf("shape %s: %w", id, err)
	}
	s.Version = v.Version
	return stored{shape: &s}, nil
}

func encodeShape(s *Shape) []byte {
	b, err := json.Marshal(toRecord(s))
	if err != nil {
		panic(err) // only finite numbers and strings reach here (Validate ran)
	}
	return b
}

func encodeTomb(t tombstone) []byte {
	b, _ := json.Marshal(record{Deleted: true, By: t.By, Seq: t.Seq})
	return b
}

func decodeSeq(v Value) uint64 {
	n, _ := strconv.ParseUint(string(v.Data), 10, 64) // garbage counts as 0: the shape key check still catches reuse
	return n
}

func encodeSeq(n uint64) []byte { return []byte(strconv.FormatUint(n, 10)) }

// meta is a drawing's metadata record.
type meta struct {
	Name      string `json:"name"`
	Creator   string `json:"creator"`
	RenamedBy string `json:"renamedBy,omitempty"` // last renamer, named when a concurrent rename loses
}
