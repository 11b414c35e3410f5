package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

func TestTemplateCommand(t *testing.T) {
	out := filepath.Join(t.TempDir(), "pipeline.xlsx")
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"template", out, "--rows", "50"}, strings.NewReader(""), &stdout, &stderr); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	f, err := excelize.OpenFile(out)
	if err != nil {
		t.Fatal(err)
	}
	first, _ := f.GetCellValue("Referrals", "A1")
	f.Close()
	if first != "Action" {
		t.Errorf("A1 = %q, want the first canonical header", first)
	}

	// The template re-imports cleanly: no unknown headers, no rows.
	stdout.Reset()
	if code := run(context.Background(), []string{"validate", out}, strings.NewReader(""), &stdout, &stderr); code != exitOK {
		t.Fatalf("validate of the template: exit %d: %s %s", code, stdout.String(), stderr.String())
	}
	if !strings.Contains(stdout.String(), "0 rows") {
		t.Errorf("validate of the template: %s", stdout.String())
	}

	// An existing file is not replaced without --force.
	os.WriteFile(out, []byte("precious"), 0o600)
	stderr.Reset()
	if code := run(context.Background(), []string{"template", out}, strings.NewReader(""), &stdout, &stderr); code != exitUsage || !strings.Contains(stderr.String(), "--force") {
		t.Fatalf("template over an existing file: exit %d: %s", code, stderr.String())
	}
	if b, _ := os.ReadFile(out); string(b) != "precious" {
		t.Fatal("template replaced an existing file without --force")
	}
	if code := run(context.Background(), []string{"template", out, "--force"}, strings.NewReader(""), &stdout, &stderr); code != exitOK {
		t.Fatalf("template --force: exit %d: %s", code, stderr.String())
	}
}

func TestRulesCommand(t *testing.T) {
	samples := filepath.Join("..", "..", "samples", "rules")
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"check built-in", []string{"rules", "check"}, exitOK, "built-in rules: OK"},
		{"check custom", []string{"rules", "check", "--rules", filepath.Join(samples, "custom-rules.yaml")}, exitOK, "custom-rules.yaml with the built-in rules: OK"},
		{"list", []string{"rules", "list"}, exitOK, "status-transition"},
		{"list built-in file", []string{"rules", "list", "--builtin"}, exitOK, "rules:"},
		{"test cases", []string{"rules", "test", filepath.Join(samples, "cases.yaml"), "--rules", filepath.Join(samples, "custom-rules.yaml")}, exitOK, " passed, 0 failed"},
		{"test without the team's rules", []string{"rules", "test", filepath.Join(samples, "cases.yaml")}, exitFindings, "FAIL"},
		{"no verb", []string{"rules"}, exitUsage, ""},
		{"bad verb", []string{"rules", "frob"}, exitUsage, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), tc.args, strings.NewReader(""), &stdout, &stderr)
			if code != tc.code {
				t.Fatalf("exit %d, want %d: %s %s", code, tc.code, stdout.String(), stderr.String())
			}
			if !strings.Contains(stdout.String(), tc.want) {
				t.Errorf("output lacks %q: %s", tc.want, stdout.String())
			}
		})
	}
}
