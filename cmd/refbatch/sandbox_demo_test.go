package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestSandboxDemoWalksACosellDeal(t *testing.T) {
	var out, errb bytes.Buffer
	if err := runSandboxDemo(context.Background(), env{stdout: &out, stderr: &errb}); err != nil {
		t.Fatalf("demo: %v\n%s", err, out.String())
	}
	for _, want := range []string{
		"POST /v1.0/engagements/referrals → 201",
		"joined engagement",
		"PATCH /v1.0/engagements/referrals/",
		"→ 412",
		"Microsoft  Active/Accepted",
		"eligible: true",
		"1 registration(s)",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("demo output lacks %q:\n%s", want, out.String())
		}
	}
}
