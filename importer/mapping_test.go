package importer

import (
	"reflect"
	"strings"
	"testing"

	"github.com/refbatch/refbatch"
)

func TestLoadMapping(t *testing.T) {
	m, err := LoadMapping("testdata/mapping/good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := map[refbatch.Column][]string{
		refbatch.ColDealValue:    {"Montant", "Montant HT"},
		refbatch.ColClosingDate:  {"Date de clôture"},
		refbatch.ColCustomerName: {"Client", "Raison sociale"},
		refbatch.ColName:         {"2024"},
	}
	if !reflect.DeepEqual(m, want) {
		t.Errorf("mapping = %v, want %v", m, want)
	}
	if empty, err := parseMapping("empty.yaml", nil); err != nil || len(empty) != 0 {
		t.Errorf("empty file: %v, %v", empty, err)
	}
}

func TestLoadMappingErrors(t *testing.T) {
	for _, tc := range []struct {
		file string
		line int
		msg  string
	}{
		{"unknown_column.yaml", 2, `unknown column "Deal Valu"`},
		{"duplicate.yaml", 3, `header "Montant" is given for both Deal Value and Contract Value`},
		{"syntax.yaml", 2, "must be specified"},
		{"not_a_map.yaml", 1, "must map column names to headers"},
		{"nested.yaml", 2, "must be text"},
		{"missing.yaml", 0, "no such file"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			path := "testdata/mapping/" + tc.file
			_, err := LoadMapping(path)
			ie, ok := err.(*refbatch.InputError)
			if !ok {
				t.Fatalf("error %v (%T) is not an InputError", err, err)
			}
			if ie.File != path || ie.Row != tc.line || !strings.Contains(ie.Error(), tc.msg) {
				t.Errorf("error %q at line %d, want line %d containing %q", ie, ie.Row, tc.line, tc.msg)
			}
		})
	}
}
