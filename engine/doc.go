// Package engine turns imported rows into work and carries it out. It
// declares the small interfaces it consumes — a row source and checkers
// (validate), and for runs the API, the Mapper that builds requests from a
// row, the Journal and a Policy — and the concrete packages (importer,
// rules, partnercenter, journal) satisfy them; cmd/refbatch wires them
// together and asserts it. The engine imports none of those packages.
//
// # Validate
//
// Validate is the pre-flight pipeline: one goroutine reads rows, several
// check them (each with its own checker), and results are delivered to the
// caller's sink in file order from a single goroutine, so sinks need no
// locking. Memory is bounded by the batch size times the number of workers,
// not by the number of rows.
//
// # Execute
//
// Execute runs a run's rows as named steps (create, link, get, patch,
// eligibility, register; see refbatch.StepName): a row's steps in order,
// rows with the same key (Referral ID, else External Reference ID) one
// after another in file order, all other rows concurrently on a bounded
// sourcegraph/conc pool. Every request is paced by the API's limiter (an
// AdaptiveLimiter that finds the service's rate by itself).
//
// Each step is journaled "sent", with its client-request-id, before its
// request leaves; its answer, and what an External Reference ID became,
// are written with the row's next durable write (refbatch.Changes), so a
// row costs two or three commits. A step that is "sent" when Execute starts
// (a crash), or whose answer is lost during the run, is in doubt and is
// reconciled before anything is sent again: creates through one listing of
// the newest referrals, links through their engagement, patches and
// registrations through a fresh get compared with what the row asks (the
// Mapper builds an empty patch when the live referral already shows it).
// Only what is provably absent is sent again; a listing cut short leaves
// the row in doubt. The guarantee: however the process is stopped, after
// resume each row has its effect on Partner Center exactly once.
//
// A deal registration waits when a condition on Partner Center's side
// does not hold yet: Microsoft has not accepted the co-sell referral
// (after polling up to ExecOptions.RegisterWait), or, with RegisterAge, the
// referral is too young. The row ends refbatch.OutcomeWaiting, its
// refbatch.Wait (next check, deadline, the row's values) written with the
// outcome. Execute checks a waiting row at most once per attempt
// (CheckedSince) and never before its next check, holding the later rows
// of its key behind it; past its deadline (AcceptDeadline) it fails, and a
// co-sell referral Microsoft closed fails it at once.
//
// Shutdown has two stages: when the feed context ends no new row starts;
// when the work context ends the requests in flight are cancelled. A fatal
// error (credentials refused, the journal failing, or max(5, 2×concurrency) rows
// in a row failing on passing errors) stops the run the same way.
//
// # Concurrency
//
// Observer callbacks are called from several goroutines at once and must
// be quick; they default to no-ops. AdaptiveLimiter is safe for concurrent
// use. PlanRow is pure.
package engine
