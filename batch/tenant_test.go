package batch_test

import (
	"context"
	"encoding/base64"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/refbatch/refbatch"
	"github.com/refbatch/refbatch/batch"
	"github.com/refbatch/refbatch/credentials"
	"github.com/refbatch/refbatch/partnercenter"
)

func jwt(tid string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"none"}`)) + "." + enc([]byte(`{"tid":"`+tid+`","aud":"https://api.partner.microsoft.com"}`)) + ".sig"
}

// TestJournalOfAnotherTenantIsRefused: the journal records the tenant the
// access token names; the same endpoint signed in to another tenant is
// refused before anything is sent.
func TestJournalOfAnotherTenantIsRefused(t *testing.T) {
	if got := credentials.TenantOf(jwt("contoso-tid")); got != "contoso-tid" {
		t.Fatalf("TenantOf = %q", got)
	}
	if got := credentials.TenantOf("not-a-jwt"); got != "" {
		t.Fatalf("TenantOf(opaque) = %q", got)
	}
	ctx := context.Background()
	dir := t.TempDir()
	sb := startSandbox(t, nil)
	input := filepath.Join(dir, "in.csv")
	writeCreates(t, input, 0, 2, false)
	jpath := filepath.Join(dir, "j.db")
	ep := sb.Endpoint()
	ep.Token = partnercenter.StaticToken(jwt("contoso-tid"))
	if _, err := newClient(t, jpath, ep, batch.Config{}).Run(ctx, input); err != nil {
		t.Fatal(err)
	}
	ep.Token = partnercenter.StaticToken(jwt("fabrikam-tid"))
	before := len(sb.Server().Referrals())
	_, err := newClient(t, jpath, ep, batch.Config{}).Run(ctx, input)
	if !errors.Is(err, refbatch.ErrUsage) || !strings.Contains(err.Error(), "contoso-tid") || !strings.Contains(err.Error(), "fabrikam-tid") {
		t.Fatalf("run for another tenant: %v", err)
	}
	if after := len(sb.Server().Referrals()); after != before {
		t.Errorf("%d referrals sent for another tenant", after-before)
	}
}
