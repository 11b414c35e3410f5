package main

import (
	"fmt"

	"github.com/spf13/pflag"

	"github.com/refbatch/refbatch/batch"
	"github.com/refbatch/refbatch/credentials"
	"github.com/refbatch/refbatch/partnercenter"
)

// parseWithConfig parses args, resolves the settings once (flags over
// environment over refbatch.yaml over defaults, batch.ResolveSettings) and
// lays the values from the environment and the file under the command's
// own flags that the user did not set. Every command that reads a setting
// parses through it, so validate, plan, run, status and export all honour
// refbatch.yaml.
func parseWithConfig(fs *pflag.FlagSet, args []string, e env) (*batch.Settings, error) {
	bindConfigFlags(fs)
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	src := batch.SettingsSources{Flags: map[string]string{}, Getenv: e.lookupEnv, Candidates: batch.DefaultCandidates()}
	fs.Visit(func(f *pflag.Flag) {
		if f.Name == "config" {
			src.ConfigFlag = f.Value.String()
			return
		}
		src.Flags[f.Name] = f.Value.String()
	})
	cfg, err := batch.ResolveSettings(src)
	if err != nil {
		return nil, err
	}
	sandbox := false
	if f := fs.Lookup("sandbox"); f != nil && f.Value.String() == "true" {
		sandbox = true
	}
	for _, key := range batch.Keys() {
		flag := batch.FlagOf(key)
		v, ok := cfg.FileValue(key)
		if flag == "" || !ok {
			continue
		}
		if sandbox && (key == "endpoint" || key == "journal") {
			continue // a rehearsal never uses the real run's endpoint or journal
		}
		if key == "endpoint" && ownEndpointCommands[fs.Name()] {
			continue // the journal's own endpoint; a configured one only when it has none (realEndpoint)
		}
		if f := fs.Lookup(flag); f != nil && !f.Changed {
			if err := fs.Set(flag, v); err != nil {
				return nil, fmt.Errorf("%s (%s): %v", key, cfg.Source(key), err)
			}
			f.Changed = false // still not the user's flag
		}
	}
	return cfg, nil
}

// ownEndpointCommands work on a journal that already belongs to an
// endpoint (endpointChoice): a configured endpoint is not an --endpoint
// for them, or a sandbox journal would be sent to Partner Center.
var ownEndpointCommands = map[string]bool{"resume": true, "sync": true, "pull": true}

// bindConfigFlags adds the flags that only the configuration reads (where
// the command has not bound them itself).
func bindConfigFlags(fs *pflag.FlagSet) {
	add := func(name, usage string) {
		if fs.Lookup(name) == nil {
			fs.String(name, "", usage)
		}
	}
	add("config", "configuration `FILE` (default: refbatch.yaml here, else in your config folder; env REFBATCH_CONFIG)")
	add("token-file", "`FILE` holding an access token, readable only by you (env REFBATCH_TOKEN_FILE; REFBATCH_TOKEN holds one directly)")
	add("tenant", "Azure AD tenant id or domain for the refresh-token sign-in (env REFBATCH_TENANT)")
	add("client-id", "application (client) id of your Azure AD app registration (env REFBATCH_CLIENT_ID)")
	add("authority", "Azure AD instance `URL` (default "+credentials.DefaultAuthority+")")
	add("oauth-version", "Azure AD endpoints: v1 or v2 (default v1)")
}

// settingsOf returns the settings a command resolved, or, for a command a
// test calls directly, those of its environment alone.
func settingsOf(s *batch.Settings, e env) (*batch.Settings, error) {
	if s != nil {
		return s, nil
	}
	return batch.ResolveSettings(batch.SettingsSources{Getenv: e.lookupEnv})
}

// tokenSource is where the access token comes from, as the settings say
// (batch.Settings.TokenSource), with the login refbatch login saved.
func tokenSource(s *batch.Settings) (partnercenter.TokenSource, error) {
	store, err := credentials.DefaultStore()
	if err != nil {
		return nil, err
	}
	return s.TokenSource(store)
}
