// Command refbatch is the command line of refbatch: flags, configuration
// and terminal output over the embeddable client in package batch, which
// owns the run's lifecycle (loading, upsert planning, the in-doubt guard,
// run bookkeeping, resume, status and export). Each subcommand lives in its
// own cmd_*.go file as an options struct bound to a pflag.FlagSet and a
// runX function that tests call directly; none decides what a run does.
package main
