package main

import (
	"context"
	"fmt"
	"runtime/debug"
)

// version is set at build time with -ldflags "-X main.version=…"; otherwise
// the module version from the build info is shown.
var version = ""

func runVersionCmd(_ context.Context, args []string, e env) error {
	fs := newFlagSet("version", "version", e)
	if err := fs.Parse(args); err != nil {
		return err
	}
	v := version
	if v == "" {
		v = "(devel)"
		if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
			v = bi.Main.Version
		}
	}
	fmt.Fprintf(e.stdout, "refbatch %s\n", v)
	return nil
}
