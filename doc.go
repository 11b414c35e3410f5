// Package refbatch holds the domain types shared by every part of refbatch:
// the canonical spreadsheet columns, the typed Row an importer produces, the
// Findings that policies and parsers report about rows and cells, and the
// errors callers branch on.
//
// It imports only the standard library. The packages that wrap a technology
// (importer, rules, exporter, journal, partnercenter, engine) depend on this
// package and never on each other; cmd/refbatch wires them together.
//
// Every type here is a plain value: a Row or Finding may be handed between
// goroutines, but is not safe for concurrent mutation.
package refbatch
