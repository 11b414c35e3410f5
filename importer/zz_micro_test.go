package importer

import (
	"strings"
	"testing"

	"github.com/refbatch/refbatch"
)

var microLine = []byte("create,CRM-00000002,Northwind Modern workplace,Private,Northwind plc,Amsterdam,NL,976000.50,EUR,2027-08-04,Kofi,Smith,kofi.smith@northwind.com,+31 20 555 412,no,yes,,Follow-up workshop booked with IT lead")

var sinkCells []string

func BenchmarkZZSplitSWAR(b *testing.B) {
	rec := string(microLine)
	dst := make([]string, 0, 32)
	for b.Loop() {
		sinkCells = splitFields(dst[:0], microLine, rec, ',')
	}
}

func BenchmarkZZSplitIndexByte(b *testing.B) {
	rec0 := string(microLine)
	dst := make([]string, 0, 32)
	for b.Loop() {
		cells := dst[:0]
		rec := rec0
		for {
			i := strings.IndexByte(rec, ',')
			if i < 0 {
				break
			}
			cells = append(cells, rec[:i])
			rec = rec[i+1:]
		}
		sinkCells = append(cells, rec)
	}
}

func BenchmarkZZFill(b *testing.B) {
	h, _, err := makeHeader("f", "", 1, benchHeader, newHeaderMatcher(nil))
	if err != nil {
		b.Fatal(err)
	}
	cv := newConverter(h, Options{}, nil)
	cells := splitFields(nil, microLine, string(microLine), ',')
	var row refbatch.Row
	for b.Loop() {
		row = refbatch.Row{Header: h, Raw: cells}
		cv.fill(&row)
	}
}

func BenchmarkZZAllocBlock(b *testing.B) {
	for b.Loop() {
		r, _ := newRowBlock(18)
		sinkRow = r
	}
}

var sinkRow *refbatch.Row
