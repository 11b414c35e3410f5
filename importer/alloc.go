package importer

import "github.com/refbatch/refbatch"

// Allocation is the largest cost of reading a row, so a row and its cells
// come from one allocation. They live and die together anyway: Row.Raw is
// the cells. Reader.Release recycles both.

type (
	rowBlock8 struct {
		row   refbatch.Row
		cells [8]string
	}
	rowBlock12 struct {
		row   refbatch.Row
		cells [12]string
	}
	rowBlock16 struct {
		row   refbatch.Row
		cells [16]string
	}
	rowBlock20 struct {
		row   refbatch.Row
		cells [20]string
	}
	rowBlock24 struct {
		row   refbatch.Row
		cells [24]string
	}
	rowBlock32 struct {
		row   refbatch.Row
		cells [32]string
	}
	rowBlock48 struct {
		row   refbatch.Row
		cells [48]string
	}
	rowBlock64 struct {
		row   refbatch.Row
		cells [64]string
	}
)

// newRowBlock returns a zero Row and an empty cell slice with room for width
// cells, in one allocation for up to 64 cells.
func newRowBlock(width int) (*refbatch.Row, []string) {
	switch {
	case width <= 0: // the source brings its own cells
		return new(refbatch.Row), nil
	case width <= 8:
		b := new(rowBlock8)
		return &b.row, b.cells[:0]
	case width <= 12:
		b := new(rowBlock12)
		return &b.row, b.cells[:0]
	case width <= 16:
		b := new(rowBlock16)
		return &b.row, b.cells[:0]
	case width <= 20:
		b := new(rowBlock20)
		return &b.row, b.cells[:0]
	case width <= 24:
		b := new(rowBlock24)
		return &b.row, b.cells[:0]
	case width <= 32:
		b := new(rowBlock32)
		return &b.row, b.cells[:0]
	case width <= 48:
		b := new(rowBlock48)
		return &b.row, b.cells[:0]
	case width <= 64:
		b := new(rowBlock64)
		return &b.row, b.cells[:0]
	}
	return new(refbatch.Row), make([]string, 0, width)
}
