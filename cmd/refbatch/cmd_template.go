package main

import (
	"context"
	"errors"
)

// TEMPORARY: replaced by the real command in this session.
func runTemplateCmd(_ context.Context, _ []string, _ env) error {
	return errors.New("template: not built yet")
}
