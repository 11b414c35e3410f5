package batch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/refbatch/refbatch"
	"github.com/refbatch/refbatch/engine"
	"github.com/refbatch/refbatch/importer"
	"github.com/refbatch/refbatch/journal"
	"github.com/refbatch/refbatch/partnercenter"
	"github.com/refbatch/refbatch/rules"
)

// The concrete packages satisfy the interfaces the engine consumes.
var (
	_ engine.API     = (*partnercenter.Referrals)(nil)
	_ engine.Mapper  = (*partnercenter.Mapper)(nil)
	_ engine.Journal = (*journal.Journal)(nil)
	_ engine.Policy  = (*rules.Evaluator)(nil)

	_ engine.RowSource      = (*importer.Reader)(nil)
	_ engine.RowChecker     = (*rules.Evaluator)(nil)
	_ engine.OrderedChecker = (*rules.DuplicateCheck)(nil)
)

// DefaultConcurrency is how many rows are in flight at once when
// Config.Concurrency is 0.
const DefaultConcurrency = 8

// Config configures a Client. Its zero value is a safe default.
type Config struct {
	// Input says how files are read and which rules and tables check them.
	Input InputOptions
	// Concurrency bounds the rows in flight (default 8, at most 256).
	Concurrency int
	// Rate is a ceiling in requests per second; 0: none, the rate adapts
	// to the API's throttling by itself.
	Rate float64
	// RegisterWait is how long a run may poll for Microsoft to accept a
	// co-sell referral before it leaves the deal registration waiting
	// (refbatch.OutcomeWaiting) for Sync or Resume (default 0: one check;
	// the endpoint's Endpoint.RegisterWait when set).
	RegisterWait time.Duration
	// AcceptDeadline is how long a waiting deal registration may wait for
	// Microsoft's acceptance in all, from the co-sell link, before its row
	// fails (default engine.DefaultAcceptDeadline, 14 days).
	AcceptDeadline time.Duration
	// RegisterAge is how old a referral must be before its deal is
	// registered; a younger one waits until then. 0: the endpoint's
	// (Endpoint.RegisterAge); negative: no wait (the lifecycle-register
	// warning says it). Microsoft asks for 72 hours (RegisterAgeMicrosoft).
	RegisterAge time.Duration
	// Settle is how long after a create or link was sent Partner Center's
	// listing may prove it absent (listings are eventually consistent):
	// rows whose writes are in doubt wait that long while the others go
	// on. 0: the endpoint's (Endpoint.Settle), else DefaultSettle.
	Settle time.Duration
	// Strict makes warnings fail a run or a validation like errors.
	Strict bool
	// Workers is how many goroutines check rows (default: one per CPU).
	Workers int
	// Logger receives retries and reconciliations (default: discarded).
	Logger *slog.Logger
	// Observer receives progress (default: nothing).
	Observer Observer
	// Now is the clock of the journal, settle times and reconciliation
	// (default time.Now).
	Now func() time.Time
	// Today is the clock the rules see as today (default: Now): a rehearsal
	// as of another date moves it, and the sandbox's clock with it (whose
	// Date headers then keep reconciliation right), never the journal's.
	Today func() time.Time
}

// Observer receives a run's progress. Every callback may be nil, and is
// called from several goroutines at once: keep them quick.
type Observer struct {
	// Started is called once the rows are planned, before any is sent.
	Started func(s Started)
	// RowFinished is called when a row reaches an outcome.
	RowFinished func(rec refbatch.RowRecord)
	// StepSent is called just before a step's request leaves (after it is
	// journaled "sent").
	StepSent func(row int, step refbatch.StepName)
	// Request is called with the status of every HTTP answer (0: none
	// arrived).
	Request func(status int)
	// LiveWarning is called with each warning the live re-check
	// (engine.LiveFindings) finds about a row before its patch, once per
	// row; its errors fail the row instead.
	LiveWarning func(row int, f refbatch.Finding)
}

// Started is what a run or resume is about to do.
type Started struct {
	Run     refbatch.RunInfo
	Resumed bool
	// Input is the validation of the file as this attempt read it.
	Input refbatch.Summary
	// Rows is how many rows the run has, Finished how many of them an
	// earlier attempt already finished or planning finished (rows skipped
	// for errors, not loaded): nothing is sent for those.
	Rows, Finished int
	// Replanned and PolicyChanged are as in Result.
	Replanned     int
	PolicyChanged bool
}

// Endpoint is the Partner Center Referrals API a client runs against.
type Endpoint struct {
	// URL is the API's base URL (partnercenter.DefaultBaseURL for the real
	// service). http:// is refused for any host but loopback.
	URL string
	// Name is what the journal records as the run's endpoint and binds
	// itself to (default: URL). The embedded sandbox names itself by its
	// state file, so a rehearsal resumes against the same referrals.
	Name string
	// Token supplies access tokens (see NewTokenSource). Required.
	Token partnercenter.TokenSource
	// HTTPClient is the client requests go through (default: one with a
	// kept-alive connection per row in flight).
	HTTPClient *http.Client
	// Settle is how long this endpoint's listing may lag a write (0:
	// DefaultSettle; LocalSettle for an API on this machine, a sandbox);
	// Config.Settle overrides it.
	Settle time.Duration
	// RegisterWait is how long a deal registration waits for this
	// endpoint's Microsoft side to accept a co-sell referral when
	// Config.RegisterWait is 0 (the embedded sandbox accepts after 2 s).
	RegisterWait time.Duration
	// RegisterAge is how old a referral must be before its deal is
	// registered against this endpoint when Config.RegisterAge is 0. Zero
	// means the endpoint's default: RegisterAgeMicrosoft for Partner
	// Center, no wait for an API on this machine (a sandbox), so that a
	// rehearsal registers the deals it has just created; negative: no wait.
	RegisterAge time.Duration
}

// LocalSettle is the settle time of an API on this machine (a sandbox
// without a listing lag) when Endpoint.Settle does not say.
const LocalSettle = time.Second

// withDefaults fills what ep leaves to its kind: Partner Center, or an API
// on this machine (a sandbox, told by its loopback URL).
func (ep Endpoint) withDefaults() Endpoint {
	if ep.URL != "" && partnercenter.IsLoopbackURL(ep.URL) {
		if ep.Settle == 0 {
			ep.Settle = LocalSettle
		}
		return ep
	}
	if ep.RegisterAge == 0 {
		ep.RegisterAge = RegisterAgeMicrosoft
	}
	return ep
}

// RegisterAgeMicrosoft is the age Partner Center asks of a deal before it
// is registered: "wait 72 hours after creating an eligible deal before
// marking it Won" (register-deals.md); a registration made sooner might be
// rejected.
const RegisterAgeMicrosoft = 72 * time.Hour

// DefaultSettle is the settle time for the real service (engine.DefaultSettle):
// longer than a request can live, so that a create the service commits
// after the client gave up on it is still found.
const DefaultSettle = engine.DefaultSettle

func (e Endpoint) name() string {
	if e.Name != "" {
		return e.Name
	}
	return e.URL
}

// Client loads spreadsheets into Partner Center through one journal and
// one endpoint. Build it with NewClient.
type Client struct {
	jr  *journal.Journal
	ep  Endpoint
	cfg Config

	mu         sync.Mutex
	running    bool
	stopFeed   context.CancelFunc
	cancelWork context.CancelFunc
}

// NewClient returns a client that journals runs in jr and sends them to
// ep. jr may be nil and ep zero for a client that only validates and plans
// offline.
func NewClient(jr *journal.Journal, ep Endpoint, cfg Config) (*Client, error) {
	if cfg.Concurrency == 0 {
		cfg.Concurrency = DefaultConcurrency
	}
	if cfg.Concurrency < 1 || cfg.Concurrency > 256 {
		return nil, usageErrorf("concurrency must be 1 to 256, got %d", cfg.Concurrency)
	}
	if cfg.Rate < 0 {
		return nil, usageErrorf("rate must not be negative")
	}
	if cfg.RegisterWait < 0 || cfg.AcceptDeadline < 0 {
		return nil, usageErrorf("register wait and accept deadline must not be negative")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Today == nil {
		cfg.Today = cfg.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Client{jr: jr, ep: ep.withDefaults(), cfg: cfg}, nil
}

// Stop is the first stage of a shutdown: the run in progress takes no new
// rows and finishes the steps in flight; Run or Resume then returns an
// error wrapping context.Canceled, with the journal consistent.
func (c *Client) Stop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopFeed != nil {
		c.stopFeed()
	}
}

// StopAndCancel is the second stage: the requests in flight are cancelled
// too; the journal says which writes are in doubt, and resume reconciles
// them.
func (c *Client) StopAndCancel() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopFeed != nil {
		c.stopFeed()
	}
	if c.cancelWork != nil {
		c.cancelWork()
	}
}

// begin checks that the client can run (a journal, an endpoint), marks a
// run in progress and returns its feed and work contexts: Stop and
// StopAndCancel reach the run from here on.
func (c *Client) begin(ctx context.Context) (feed, work context.Context, end func(), err error) {
	if err := c.needRun(); err != nil {
		return nil, nil, nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.running {
		return nil, nil, nil, errors.New("batch: a run is already in progress on this client")
	}
	work, cancelWork := context.WithCancel(ctx)
	feed, stopFeed := context.WithCancel(work)
	c.running, c.stopFeed, c.cancelWork = true, stopFeed, cancelWork
	return feed, work, func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		stopFeed()
		cancelWork()
		c.running, c.stopFeed, c.cancelWork = false, nil, nil
	}, nil
}

// needRun checks that the client can run: a journal and an endpoint.
func (c *Client) needRun() error {
	if c.jr == nil {
		return errors.New("batch: a run needs a journal (NewClient with a *journal.Journal)")
	}
	if c.ep.URL == "" {
		return errors.New("batch: a run needs an endpoint URL")
	}
	if c.ep.Token == nil {
		return errors.New("batch: a run needs a token source (Endpoint.Token)")
	}
	return nil
}

// Validate reads and checks every row of file, handing each to hooks, and
// returns what it found. It sends nothing and needs no journal.
func (c *Client) Validate(ctx context.Context, file string, hooks Hooks) (Validation, error) {
	policy, err := LoadPolicy(c.cfg.Input, c.cfg.Today)
	if err != nil {
		return Validation{File: file}, err
	}
	return readFile(ctx, file, c.cfg.Input, policy, c.cfg.Workers, hooks, false, "")
}

// FindRun returns the run of jr named id, or its latest run when id is "".
// The error wraps refbatch.ErrUsage when there is no such run.
func FindRun(ctx context.Context, jr *journal.Journal, id string) (refbatch.RunInfo, error) {
	var run refbatch.RunInfo
	var err error
	if id == "" {
		run, err = jr.LatestRun(ctx)
	} else {
		run, err = jr.Run(ctx, refbatch.RunID(id))
	}
	if errors.Is(err, refbatch.ErrNoRun) {
		if id == "" {
			return run, usageErrorf("the journal %s has no run yet", jr.Path())
		}
		return run, usageErrorf("the journal %s has no run %q (refbatch status lists them)", jr.Path(), id)
	}
	return run, err
}

// describe names a run for messages.
func describe(run refbatch.RunInfo) string {
	return fmt.Sprintf("run %s (%s)", run.ID, run.InputPath)
}
