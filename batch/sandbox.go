package batch

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/refbatch/refbatch/partnercenter"
	"github.com/refbatch/refbatch/partnercenter/sandbox"
	"github.com/refbatch/refbatch/rules"
)

// sandboxRegisterWait is how long a rehearsal's deal registrations wait for
// the sandbox's Microsoft side (which accepts co-sell deals after
// AcceptAfter, 2 s by default).
const sandboxRegisterWait = 30 * time.Second

// SandboxPrefix starts the endpoint name of the embedded sandbox, which a
// journal records: "sandbox:" and the sandbox's state file.
const SandboxPrefix = "sandbox:"

// SandboxConfig configures StartSandbox.
type SandboxConfig struct {
	// StateFile keeps the sandbox's referrals, so that a rehearsal
	// survives a kill and resume continues against the same referrals.
	// "": in memory only.
	StateFile string
	// Tables feed the sandbox's solutions catalog and FX rates; nil: those
	// of TablesDir, else the built-in tables.
	Tables    *rules.Tables
	TablesDir string
	// AcceptAfter is how soon Microsoft's side accepts a co-sell referral
	// (default 2 s, so that a rehearsal registers deals in the same run).
	AcceptAfter time.Duration
	// Leads seeds that many leads sent to the partner (sandbox.SeedLeads:
	// lead-0001…, New, expiring in 14 days), once: a rehearsal of
	// accepting and declining leads from a pulled workbook.
	Leads int
	// Options, when not nil, are the sandbox's own options (faults, rate
	// limits, clock); StateFile, Tables and AcceptAfter fill what they
	// leave empty.
	Options *sandbox.Options
}

// Sandbox is a Partner Center Referrals API sandbox served on a loopback
// port inside this process.
type Sandbox struct {
	URL   string
	name  string
	lag   time.Duration
	srv   *http.Server
	state *sandbox.Server
}

// StartSandbox serves a sandbox on 127.0.0.1 until Close.
func StartSandbox(ctx context.Context, cfg SandboxConfig) (*Sandbox, error) {
	opts := sandbox.Options{}
	if cfg.Options != nil {
		opts = *cfg.Options
	}
	if cfg.StateFile != "" {
		if err := os.MkdirAll(filepath.Dir(cfg.StateFile), 0o700); err != nil {
			return nil, fmt.Errorf("sandbox state %s: %w", cfg.StateFile, err)
		}
		opts.StateFile = cfg.StateFile
	}
	tables := cfg.Tables
	if tables == nil {
		var err error
		if tables, err = rules.LoadTables(cfg.TablesDir); err != nil {
			return nil, err
		}
	}
	if opts.AzureIPCoSellSolutions == nil {
		opts.AzureIPCoSellSolutions = tables.AzureIPCoSellSolutions()
	}
	if opts.FXToUSD == nil {
		opts.FXToUSD = tables.FXToUSD()
	}
	if opts.AcceptAfter == 0 {
		opts.AcceptAfter = cfg.AcceptAfter
		if opts.AcceptAfter == 0 {
			opts.AcceptAfter = 2 * time.Second
		}
	}
	srv, err := sandbox.Open(opts)
	if err != nil {
		return nil, err
	}
	if cfg.Leads > 0 {
		if _, err := srv.SeedLeads(cfg.Leads); err != nil {
			return nil, fmt.Errorf("sandbox: seed %d leads: %w", cfg.Leads, err)
		}
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	hs := sandbox.NewHTTPServer("", srv)
	hs.ErrorLog = log.New(io.Discard, "", 0)
	go func() { _ = hs.Serve(ln) }()
	name := SandboxPrefix + cfg.StateFile
	if cfg.StateFile == "" {
		name = SandboxPrefix + "memory:" + ln.Addr().String()
	}
	return &Sandbox{URL: "http://" + ln.Addr().String(), name: name, lag: opts.ListLag, srv: hs, state: srv}, nil
}

// Endpoint is the sandbox as an endpoint: any token is accepted.
func (s *Sandbox) Endpoint() Endpoint {
	return Endpoint{URL: s.URL, Name: s.name, Token: partnercenter.StaticToken("sandbox"),
		Settle: s.lag + time.Second, RegisterWait: sandboxRegisterWait}
}

// Server is the sandbox itself, for tests that read its referrals.
func (s *Sandbox) Server() *sandbox.Server { return s.state }

// Close stops serving; the state file keeps what the sandbox holds.
func (s *Sandbox) Close() error {
	if s == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return s.srv.Shutdown(ctx)
}

// SandboxStateOf returns the state file an endpoint name of the embedded
// sandbox records, and whether the name is one.
func SandboxStateOf(endpoint string) (string, bool) {
	if !strings.HasPrefix(endpoint, SandboxPrefix) {
		return "", false
	}
	return strings.TrimPrefix(endpoint, SandboxPrefix), true
}
