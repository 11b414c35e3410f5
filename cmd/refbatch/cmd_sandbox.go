package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/refbatch/refbatch/partnercenter/sandbox"
	"github.com/refbatch/refbatch/rules"
)

// sandboxShutdownTimeout bounds how long in-flight requests may finish after
// the context is cancelled.
const sandboxShutdownTimeout = 5 * time.Second

// sandboxOptions are the flags of `refbatch sandbox`.
type sandboxOptions struct {
	addr        string
	token       string
	faults      sandbox.Faults
	acceptAfter time.Duration
	listLag     time.Duration
	clockSkew   time.Duration
	microsoft   microsoftSide
	allowRemote bool
	quiet       bool
	demo        bool
	stateFile   string // "" = in memory only
	tablesDir   string // "" = the built-in reference tables
	tokens      sandbox.TokenOptions
	today       todayFlag        // its calendar, for deal registrations' contract dates
	now         func() time.Time // nil: time.Now; tests inject it
}

func runSandboxCmd(ctx context.Context, args []string, e env) error {
	var o sandboxOptions
	fs := newFlagSet("sandbox", "sandbox [--addr HOST:PORT] [--token T] [--state FILE] [--tables DIR] [fault flags]", e)
	fs.StringVar(&o.addr, "addr", "127.0.0.1:8765", "address to listen on; port 0 picks a free port, an empty host means 127.0.0.1")
	fs.StringVar(&o.token, "token", "", "Bearer token to require (default: any non-empty token)")
	fs.DurationVar(&o.faults.Latency, "latency", 0, "latency added to every request")
	fs.DurationVar(&o.faults.Jitter, "jitter", 0, "uniform ± jitter around --latency")
	fs.Float64Var(&o.faults.RateLimit, "rate-limit", 0, "requests per second over all clients before 429 (0 = no limit)")
	fs.IntVar(&o.faults.MinuteLimit, "minute-limit", 0, "requests per fixed minute over all clients before 429 with the rest of the minute as Retry-After (0 = no limit)")
	fs.DurationVar(&o.faults.Penalty, "penalty", 0, "penalty box: a 429 announces at least this Retry-After and every request is refused until it passes (0 = none)")
	fs.BoolVar(&o.faults.PartnerCenter429, "pc-429", false, `answer 429s as Partner Center does, {"statusCode":429,"message":"Rate limit is exceeded. Try again in N seconds."}, not with the {"error":…} envelope`)
	fs.Float64Var(&o.faults.FailRate, "fail-rate", 0, "fraction of requests answered 500/503 before any change")
	fs.Float64Var(&o.faults.DropRate, "drop-rate", 0, "fraction of writes committed and then dropped without an answer")
	fs.Float64Var(&o.faults.ConflictRate, "conflict-rate", 0, "fraction of PATCHes with If-Match that meet a second writer first and get 412")
	fs.Int64Var(&o.faults.Seed, "seed", 1, "seed of the fault sequence")
	fs.DurationVar(&o.acceptAfter, "accept-after", 0, "Microsoft referrals created by a co-sell link turn Active/Accepted after this delay (0 = never)")
	fs.DurationVar(&o.listLag, "list-lag", 0, "a referral appears in listings, and its changes in listed values, this long after it was written (reads by id are immediate), as an eventually consistent service")
	fs.DurationVar(&o.clockSkew, "clock-skew", 0, "the sandbox's clock this far ahead of the machine's (negative: behind): its timestamps and Date headers")
	fs.Float64Var(&o.microsoft.declineRate, "decline-rate", 0, "fraction of co-sell links Microsoft declines when they come due (--accept-after), with a documented reason; deals under USD 25,000 are then always declined")
	fs.DurationVar(&o.microsoft.expireAfter, "expire-after", 0, "Microsoft referrals get an expirationDateTime this long after creation and turn Closed/Expired if still New then (Partner Center: 14 days; 0 = never)")
	fs.DurationVar(&o.microsoft.reviewAfter, "review-after", 0, "deal registrations are ReviewPending, then Approved or Failed this long after registration (0 = no review)")
	fs.Float64Var(&o.microsoft.rejectRate, "reject-rate", 0, "fraction of reviewed registrations that fail besides those registered within 72 hours of the referral's creation")
	fs.BoolVar(&o.allowRemote, "allow-remote", false, "allow a non-loopback address (the sandbox's auth is weak)")
	fs.BoolVar(&o.quiet, "quiet", false, "do not log requests")
	fs.StringVar(&o.stateFile, "state", "", "keep the referrals in `FILE` so the sandbox survives a restart (created if missing)")
	fs.StringVar(&o.tablesDir, "tables", "", "`DIR` of reference tables whose solutions catalog and FX rates decide deal registrations (default: the built-in tables)")
	fs.DurationVar(&o.tokens.TokenLifetime, "token-lifetime", 0, "life of the access tokens its Azure AD endpoints issue; when set, the API accepts only those (and --token), and answers 401 once they expire")
	fs.StringArrayVar(&o.tokens.RefreshTokens, "refresh-token", nil, "a refresh token its token endpoint accepts, to start a refresh-token sign-in (repeatable)")
	fs.DurationVar(&o.tokens.DeviceApproveAfter, "device-approve-after", 0, "approve a device-code sign-in by itself after this delay (0: approve at "+sandbox.DeviceLoginPath+")")
	fs.DurationVar(&o.tokens.DeviceInterval, "device-interval", 0, "polling interval announced with a device code (default 5s)")
	o.today.bind(fs, "take `DATE` as today when checking deal registrations' contract dates (give run the same --today)")
	fs.BoolVar(&o.demo, "demo", false, "start an in-process sandbox on a free port, walk a co-sell deal through it with refbatch's client, print every request, and exit")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return err
		}
		return usageError("sandbox: %v", err)
	}
	if fs.NArg() > 0 {
		return usageError("sandbox takes no arguments, got %q", strings.Join(fs.Args(), " "))
	}
	if err := o.check(); err != nil {
		return err
	}
	if o.demo {
		return runSandboxDemo(ctx, e)
	}
	return runSandbox(ctx, o, e)
}

func (o sandboxOptions) check() error {
	for _, r := range []struct {
		name string
		v    float64
	}{{"--fail-rate", o.faults.FailRate}, {"--drop-rate", o.faults.DropRate}, {"--conflict-rate", o.faults.ConflictRate},
		{"--decline-rate", o.microsoft.declineRate}, {"--reject-rate", o.microsoft.rejectRate}} {
		if r.v < 0 || r.v > 1 {
			return usageError("%s %g is not a fraction between 0 and 1", r.name, r.v)
		}
	}
	if o.faults.RateLimit < 0 {
		return usageError("--rate-limit %g is negative", o.faults.RateLimit)
	}
	if o.faults.MinuteLimit < 0 {
		return usageError("--minute-limit %d is negative", o.faults.MinuteLimit)
	}
	if o.faults.Latency < 0 || o.faults.Jitter < 0 || o.acceptAfter < 0 || o.faults.Penalty < 0 || o.listLag < 0 || o.microsoft.expireAfter < 0 || o.microsoft.reviewAfter < 0 {
		return usageError("--latency, --jitter, --penalty, --accept-after, --list-lag, --expire-after and --review-after must not be negative")
	}
	return nil
}

// microsoftSide are the flags of Microsoft's side of the sandbox
// (partnercenter/sandbox/microsoft.go), each decided from --seed.
type microsoftSide struct {
	declineRate, rejectRate  float64
	expireAfter, reviewAfter time.Duration
}

// runSandbox serves the sandbox until ctx is cancelled, then shuts down
// gracefully and returns nil.
func runSandbox(ctx context.Context, o sandboxOptions, e env) error {
	host, port, err := net.SplitHostPort(o.addr)
	if err != nil {
		return usageError("--addr %q: %v", o.addr, err)
	}
	if host == "" && !o.allowRemote {
		host = "127.0.0.1"
	}
	if !o.allowRemote && !isLoopbackHost(host) {
		return usageError("refusing to listen on %q: not a loopback address, and the sandbox's auth is weak; pass --allow-remote to insist", o.addr)
	}
	tables, err := rules.LoadTables(o.tablesDir)
	if err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	catalog, fx := tables.AzureIPCoSellSolutions(), tables.FXToUSD()
	today, err := o.today.resolve(e)
	if err != nil {
		return err
	}
	now, err := asOf(today, o.now)
	if err != nil {
		return err
	}

	var logger *slog.Logger
	errorLog := log.New(io.Discard, "", 0)
	if !o.quiet {
		h := slog.NewTextHandler(e.stderr, nil)
		logger = slog.New(h)
		errorLog = slog.NewLogLogger(h, slog.LevelWarn)
	}
	sb, err := sandbox.Open(sandbox.Options{
		Faults:                 o.faults,
		Token:                  o.token,
		TokenOptions:           o.tokens,
		AcceptAfter:            o.acceptAfter,
		ListLag:                o.listLag,
		ClockSkew:              o.clockSkew,
		DeclineRate:            o.microsoft.declineRate,
		ExpireAfter:            o.microsoft.expireAfter,
		ReviewAfter:            o.microsoft.reviewAfter,
		RejectRate:             o.microsoft.rejectRate,
		Logger:                 logger,
		StateFile:              o.stateFile,
		AzureIPCoSellSolutions: catalog,
		FXToUSD:                fx,
		Now:                    now,
	})
	if err != nil {
		return err
	}
	defer sb.Close()

	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", net.JoinHostPort(host, port))
	if err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	srv := sandbox.NewHTTPServer("", sb)
	srv.ErrorLog = errorLog
	base := "http://" + ln.Addr().String()
	token := "sandbox"
	if o.token != "" {
		token = "<token>" // the one given with --token; not echoed
	}
	// The state line comes first: whoever waits for "listening" (a script,
	// a test) then has it too.
	if o.stateFile != "" {
		fmt.Fprintf(e.stdout, "state kept in %s (%d referrals)\n", o.stateFile, len(sb.Referrals()))
	}
	fmt.Fprintf(e.stdout, "sandbox listening on %s\n", base)
	if today != "" {
		fmt.Fprintf(e.stdout, "its calendar says %s (--today)\n", today)
	}
	if o.tokens.TokenLifetime > 0 && o.token == "" {
		// Any bearer would answer 401: only issued tokens are taken.
		fmt.Fprintf(e.stdout, "the API takes only the tokens its sign-in issues (--token-lifetime): sign in as below, or add --token T to curl it with T\n")
	} else {
		fmt.Fprintf(e.stdout, "try: curl -H 'Authorization: Bearer %s' %s/v1.0/engagements/referrals\n", token, base)
	}
	fmt.Fprintf(e.stdout, "sign in: refbatch login --authority %s --tenant sandbox --client-id any (token endpoint %s/sandbox/oauth2/token)\n", base, base)

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("sandbox: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), sandboxShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		_ = srv.Close()
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("sandbox: %w", err)
	}
	if logger != nil {
		logger.Info("sandbox stopped")
	}
	return nil
}

// isLoopbackHost reports whether host is "localhost" or a loopback IP.
func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
