package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"text/tabwriter"

	"github.com/refbatch/refbatch/batch"
	"github.com/refbatch/refbatch/credentials"
)

// runConfigCmd prints the effective configuration, each value's source,
// secrets masked.
func runConfigCmd(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("config", "config [--config FILE] [--format text|json] [setting flags]", e)
	format := fs.String("format", "text", "output: text or json")
	fs.String("endpoint", "", "Partner Center API base `URL`")
	fs.Int("concurrency", 8, "rows in flight at once")
	fs.Float64("rate", 0, "ceiling in requests per second")
	fs.String("journal", "", "journal `FILE`")
	fs.String("rules", "", "rules `FILE`")
	fs.String("tables", "", "reference tables `DIR`")
	fs.String("mapping", "", "column mapping `FILE`")
	cfg, err := parseWithConfig(fs, args, e)
	if err != nil {
		return usageOrHelp(err)
	}
	if fs.NArg() > 0 {
		return usageError("config takes no arguments")
	}
	if *format != "text" && *format != "json" {
		return usageError("--format must be text or json, got %q", *format)
	}
	return printConfig(cfg, *format, e)
}

// configEntry is one line of refbatch config.
type configEntry struct {
	Key    string `json:"key"`
	Value  string `json:"value"`
	Source string `json:"source"`
}

func printConfig(cfg *batch.Settings, format string, e env) error {
	var entries []configEntry
	for _, key := range batch.Keys() {
		if cfg.Source(key) == "" {
			entries = append(entries, configEntry{Key: key, Source: "not set"})
			continue
		}
		val := cfg.Get(key)
		if batch.IsSecret(key) {
			val = credentials.Mask(val)
		}
		entries = append(entries, configEntry{Key: key, Value: val, Source: cfg.Source(key)})
	}
	login := configEntry{Key: "login", Source: "not signed in"}
	if store, err := credentials.DefaultStore(); err == nil {
		l, err := store.Load()
		switch {
		case err == nil:
			login = configEntry{Key: "login", Value: fmt.Sprintf("tenant %s, client %s, %s, saved %s (refresh token %s)",
				l.Tenant, l.ClientID, l.Authority, l.Saved.Local().Format("2006-01-02 15:04"), credentials.Mask(l.RefreshToken.Reveal())), Source: store.Path()}
		case errors.Is(err, credentials.ErrNoLogin):
			login.Source = "not signed in (" + store.Path() + ")"
		default:
			login.Source = err.Error()
		}
	}
	entries = append(entries, login)
	file := cfg.File()
	if format == "json" {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			File     string        `json:"file"`
			Settings []configEntry `json:"settings"`
		}{file, entries})
	}
	if file == "" {
		file = "none (looked for ./" + batch.ConfigFileName + " and in your config folder)"
	}
	fmt.Fprintf(e.stdout, "config file: %s\n\n", file)
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SETTING\tVALUE\tSOURCE")
	for _, en := range entries {
		v := en.Value
		if v == "" {
			v = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", en.Key, v, en.Source)
	}
	return tw.Flush()
}
