package main

import (
	"context"
	"errors"
)

// TEMPORARY: replaced by the real command in this session.
func runValidateCmd(_ context.Context, _ []string, _ env) error {
	return errors.New("validate: not built yet")
}
