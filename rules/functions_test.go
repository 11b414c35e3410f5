package rules

import (
	"math"
	"strings"
	"testing"
	"time"
)

func TestValidEmail(t *testing.T) {
	for s, want := range map[string]bool{
		"sue.smith@contoso.com":       true,
		"john@doe.com":                true,
		"o'brien+deals@mail.fab.ie":   true,
		"jürgen@beispiel.de":          true,
		"sue@xn--bcher-kva.example":   true,
		"":                            false,
		"sue.smith@":                  false,
		"@contoso.com":                false,
		"sue@contoso":                 false,
		"sue@@contoso.com":            false,
		"sue smith@contoso.com":       false,
		"sue.@contoso.com":            false,
		".sue@contoso.com":            false,
		"sue..smith@contoso.com":      false,
		"sue@-contoso.com":            false,
		"sue@contoso..com":            false,
		"sue@contoso.c":               false,
		"sue@10.0.0.1":                false,
		"Sue <sue.smith@contoso.com>": false,
	} {
		if got := validEmail(s); got != want {
			t.Errorf("validEmail(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestValidPhone(t *testing.T) {
	for s, want := range map[string]bool{
		"1234567890":          true, // the documents' examples
		"123345667":           true,
		"0000000001":          true,
		"+1 (425) 555-0100":   true,
		"+44 20 7946 0958":    true,
		"425.555.0100 x123":   true,
		"425-555-0100 ext. 7": true,
		"425 555 0100 #12":    true,
		"555-0100":            true,
		"":                    false,
		"call me":             false,
		"12345":               false,
		"1234567890123456":    false,
		"425 555 0100 x":      false,
		"425+555+0100":        false,
		"425 555 0100 ext. a": false,
	} {
		if got := validPhone(s); got != want {
			t.Errorf("validPhone(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestFormatMoney(t *testing.T) {
	for x, want := range map[float64]string{
		0: "0", 25000: "25,000", 25000.01: "25,000.01", 1234567.5: "1,234,567.50",
		-42.1: "-42.10", 999.999: "1,000", 0.004: "0", math.NaN(): "NaN",
	} {
		if got := formatMoney(x); got != want {
			t.Errorf("formatMoney(%v) = %q, want %q", x, got, want)
		}
	}
}

func TestFormatValue(t *testing.T) {
	for _, tc := range []struct {
		v    any
		want string
	}{
		{nil, ""}, {"x", "x"}, {30000.0, "30000"}, {27173.913043, "27173.91"}, {math.NaN(), "n/a"},
		{7, "7"}, {true, "yes"}, {false, "no"}, {time.Time{}, ""},
		{time.Date(2026, 3, 31, 0, 0, 0, 0, time.UTC), "2026-03-31"}, {[]string{"a", "b"}, "a; b"},
	} {
		if got := formatValue(tc.v); got != tc.want {
			t.Errorf("formatValue(%v) = %q, want %q", tc.v, got, tc.want)
		}
	}
}

// TestFunctionsDocumented: every function has a one-line example that calls it.
func TestFunctionsDocumented(t *testing.T) {
	fns := Functions()
	if len(fns) != 15 {
		t.Errorf("%d functions", len(fns))
	}
	for _, f := range fns {
		if !strings.HasPrefix(f.Doc, f.Name+"(") {
			t.Errorf("%s: doc %q does not start with an example call", f.Name, f.Doc)
		}
		if !strings.Contains(string(BuiltinRules()), f.Name+"(") {
			t.Errorf("the built-in file's header does not mention %s", f.Name)
		}
	}
}
