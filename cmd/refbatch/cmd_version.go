package main

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

// version and buildTime may be set at build time with
// -ldflags "-X main.version=v1.2.3 -X main.buildTime=2026-12-02T07:00:00Z";
// otherwise version is the module version the go command stamped (a
// pseudo-version naming the commit for a `go build` in a clone, "+dirty"
// when the tree had changes) and the build time is not known: the build
// info records the commit's time, not the build's.
var (
	version   = ""
	buildTime = ""
)

func runVersionCmd(_ context.Context, args []string, e env) error {
	fs := newFlagSet("version", "version", e)
	if err := fs.Parse(args); err != nil {
		return usageOrHelp(err)
	}
	if fs.NArg() > 0 {
		return usageError("version takes no arguments")
	}
	bi, _ := debug.ReadBuildInfo()
	writeVersion(e.stdout, bi)
	return nil
}

// writeVersion prints the version, the commit the binary was built from
// with its time and whether the tree had uncommitted changes, the build
// time when known, and the Go toolchain. bi may be nil.
func writeVersion(w io.Writer, bi *debug.BuildInfo) {
	v := version
	if v == "" && bi != nil {
		v = bi.Main.Version
	}
	if v == "" {
		v = "(devel)"
	}
	fmt.Fprintf(w, "refbatch %s\n", v)

	var revision, commitTime, modified string
	goVersion := runtime.Version()
	if bi != nil {
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				revision = s.Value
			case "vcs.time":
				commitTime = s.Value
			case "vcs.modified":
				modified = s.Value
			}
		}
		if bi.GoVersion != "" {
			goVersion = bi.GoVersion
		}
	}
	switch {
	case revision == "":
		fmt.Fprintln(w, "commit:      unknown (built without version control information: go build -buildvcs=true in a clone records it)")
	case modified == "true":
		fmt.Fprintf(w, "commit:      %s, with uncommitted changes (dirty)\n", revision)
	default:
		fmt.Fprintf(w, "commit:      %s\n", revision)
	}
	if commitTime != "" {
		fmt.Fprintf(w, "commit time: %s\n", commitTime)
	}
	if buildTime != "" {
		fmt.Fprintf(w, "built:       %s\n", buildTime)
	}
	fmt.Fprintf(w, "go:          %s %s/%s\n", goVersion, runtime.GOOS, runtime.GOARCH)
}
