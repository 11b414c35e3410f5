// Package engine turns imported rows into work and carries it out. It
// declares the small interfaces it consumes — a row source, a row checker,
// and (for runs) the API and the journal — and the concrete packages
// (importer, rules, partnercenter, journal) satisfy them; cmd/refbatch wires
// them together. The engine imports none of those packages.
//
// Validate is the pre-flight pipeline: one goroutine reads rows, several
// check them (each with its own checker), and results are delivered to the
// caller's sink in file order from a single goroutine, so sinks need no
// locking. Memory is bounded by the batch size times the number of workers,
// not by the number of rows.
package engine
