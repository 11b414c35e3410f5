// Command refbatch is the command line of refbatch: it parses flags, wires the
// importer, rules, exporter, engine, journal and partnercenter packages
// together, and renders terminal output. It holds no business logic of its
// own; each subcommand lives in its own cmd_*.go file as an options struct
// bound to a pflag.FlagSet and a runX function that tests call directly.
package main
