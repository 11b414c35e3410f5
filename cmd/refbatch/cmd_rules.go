package main

import (
	"context"
	"errors"
)

// TEMPORARY: replaced by the real command in this session.
func runRulesCmd(_ context.Context, _ []string, _ env) error {
	return errors.New("rules: not built yet")
}
