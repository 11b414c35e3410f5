//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package engine_test

import "time"

// processCPU is not measured here: the benchmarks leave out the CPU figures.
func processCPU() time.Duration { return 0 }
