package main

import (
	"context"
	"errors"
)

// TEMPORARY: replaced by the real command in this session.
func runSandboxCmd(_ context.Context, _ []string, _ env) error {
	return errors.New("sandbox: not built yet")
}
