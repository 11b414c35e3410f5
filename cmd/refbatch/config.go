package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/spf13/pflag"

	"github.com/refbatch/refbatch/credentials"
	"github.com/refbatch/refbatch/partnercenter"
)

// configFileName is looked for in the current folder, then in
// os.UserConfigDir()/refbatch.
const configFileName = "refbatch.yaml"

// settingKind is the YAML type a setting takes.
type settingKind int

const (
	kindString settingKind = iota
	kindInt
	kindFloat
)

// setting is one configurable value: its key in refbatch.yaml, its
// environment variable and the flag that overrides both.
type setting struct {
	key    string
	env    string
	flag   string // "" = no flag
	kind   settingKind
	path   bool   // a path: relative to the config file's folder when read from it
	secret bool   // never printed; a file holding it must be private
	def    string // shown by refbatch config; "" = none
	help   string
}

// settings are every key refbatch.yaml may hold, in the order refbatch
// config prints them.
var settings = []setting{
	{key: "endpoint", env: "REFBATCH_ENDPOINT", flag: "endpoint", def: partnercenter.DefaultBaseURL, help: "Partner Center API base URL"},
	{key: "tenant", env: "REFBATCH_TENANT", flag: "tenant", help: "Azure AD tenant id or domain"},
	{key: "client_id", env: "REFBATCH_CLIENT_ID", flag: "client-id", help: "application (client) id of your app registration"},
	{key: "authority", env: "REFBATCH_AUTHORITY", flag: "authority", def: credentials.DefaultAuthority, help: "Azure AD instance"},
	{key: "oauth_version", env: "REFBATCH_OAUTH_VERSION", flag: "oauth-version", def: "v1", help: "Azure AD endpoints: v1 (resource=) or v2 (scope=)"},
	{key: "concurrency", env: "REFBATCH_CONCURRENCY", flag: "concurrency", kind: kindInt, def: "8", help: "rows in flight at once"},
	{key: "rate", env: "REFBATCH_RATE", flag: "rate", kind: kindFloat, def: "0", help: "ceiling in requests per second (0: none)"},
	{key: "journal", env: "REFBATCH_JOURNAL", flag: "journal", path: true, help: "journal file"},
	{key: "rules", env: "REFBATCH_RULES", flag: "rules", path: true, help: "rules file"},
	{key: "tables", env: "REFBATCH_TABLES", flag: "tables", path: true, help: "reference tables folder"},
	{key: "mapping", env: "REFBATCH_MAPPING", flag: "mapping", path: true, help: "column mapping file"},
	{key: "token_file", env: "REFBATCH_TOKEN_FILE", flag: "token-file", path: true, help: "file holding an access token"},
	{key: "token", env: "REFBATCH_TOKEN", secret: true, help: "an access token"},
	{key: "refresh_token", env: "REFBATCH_REFRESH_TOKEN", secret: true, help: "a refresh token to start from (refbatch login keeps its own)"},
}

func settingByKey(key string) *setting {
	for i := range settings {
		if settings[i].key == key {
			return &settings[i]
		}
	}
	return nil
}

// configValue is a setting's effective value and where it came from.
type configValue struct {
	value  string
	source string // "flag --x", "env REFBATCH_X", "FILE:LINE", "default"
	layer  int    // layerFlag > layerEnv > layerFile > layerDefault
}

const (
	layerDefault = iota
	layerFile
	layerEnv
	layerFlag
)

// config is the effective configuration: flags over environment over file.
type config struct {
	file   string // "" = none found
	values map[string]configValue
}

func (c *config) get(key string) string { return c.values[key].value }

// configFromContext is the configuration parseWithConfig resolved for this
// command, or one resolved from the environment and refbatch.yaml alone
// when the command was called without flags (tests call runRun directly).
type configKey struct{}

func configFromContext(ctx context.Context) (*config, error) {
	if c, ok := ctx.Value(configKey{}).(*config); ok {
		return c, nil
	}
	return resolveConfig(nil)
}

// parseWithConfig parses a command's flags and fills the ones not given
// from the environment and refbatch.yaml. It adds the flags every command
// that reaches Partner Center shares (--config, --token-file, --tenant,
// --client-id, --authority, --oauth-version) when fs lacks them, and stores
// the effective configuration in *ctx for the token source. Under --sandbox
// the configured endpoint and journal are not applied: a rehearsal keeps
// its own.
func parseWithConfig(ctx *context.Context, fs *pflag.FlagSet, args []string) error {
	bindConfigFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := resolveConfig(fs)
	if err != nil {
		return err
	}
	sandbox := false
	if f := fs.Lookup("sandbox"); f != nil && f.Value.String() == "true" {
		sandbox = true
	}
	for _, s := range settings {
		v, ok := cfg.values[s.key]
		if s.flag == "" || !ok || v.layer == layerFlag || v.layer == layerDefault {
			continue
		}
		if sandbox && (s.key == "endpoint" || s.key == "journal") {
			continue
		}
		if fs.Name() == "resume" && s.key == "endpoint" {
			continue // a run resumes against the endpoint it started on
		}
		if f := fs.Lookup(s.flag); f != nil {
			if err := fs.Set(s.flag, v.value); err != nil {
				return fmt.Errorf("%s (%s): %v", s.key, v.source, err)
			}
		}
	}
	*ctx = context.WithValue(*ctx, configKey{}, cfg)
	return nil
}

// bindConfigFlags adds the shared credential and config flags fs lacks.
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

// resolveConfig reads refbatch.yaml and the environment and lays the flags
// of fs (nil: none) over them.
func resolveConfig(fs *pflag.FlagSet) (*config, error) {
	cfg := &config{values: map[string]configValue{}}
	for _, s := range settings {
		if s.def != "" {
			cfg.values[s.key] = configValue{value: s.def, source: "default", layer: layerDefault}
		}
	}
	path, explicit := "", false
	if fs != nil {
		if f := fs.Lookup("config"); f != nil && f.Changed {
			path, explicit = f.Value.String(), true
		}
	}
	if path == "" {
		if p := os.Getenv("REFBATCH_CONFIG"); p != "" {
			path, explicit = p, true
		}
	}
	if path == "" {
		path = findConfigFile()
	}
	if path != "" {
		if err := readConfigFile(cfg, path, explicit); err != nil {
			return nil, err
		}
	}
	for _, s := range settings {
		if v := os.Getenv(s.env); v != "" {
			if err := checkKind(s, v); err != nil {
				return nil, usageError("%s: %v", s.env, err)
			}
			cfg.values[s.key] = configValue{value: v, source: "env " + s.env, layer: layerEnv}
		}
	}
	if fs != nil {
		for _, s := range settings {
			if s.flag == "" {
				continue
			}
			if f := fs.Lookup(s.flag); f != nil && f.Changed {
				cfg.values[s.key] = configValue{value: f.Value.String(), source: "flag --" + s.flag, layer: layerFlag}
			}
		}
	}
	if v := cfg.get("oauth_version"); v != "" {
		if _, err := credentials.ParseVersion(v); err != nil {
			return nil, usageError("%s (%s)", err, cfg.values["oauth_version"].source)
		}
	}
	return cfg, nil
}

// findConfigFile returns ./refbatch.yaml, else the one in the user config
// folder, else "".
func findConfigFile() string {
	candidates := []string{configFileName}
	if dir, err := os.UserConfigDir(); err == nil {
		candidates = append(candidates, filepath.Join(dir, "refbatch", configFileName))
	}
	for _, p := range candidates {
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
			return p
		}
	}
	return ""
}

// readConfigFile lays the file's values into cfg. Unknown keys, wrong
// types and YAML errors name the file, line and column; a file others may
// read is refused when it holds a secret.
func readConfigFile(cfg *config, path string, explicit bool) error {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) && !explicit {
			return nil
		}
		return usageError("config: %v", err)
	}
	cfg.file = path
	tree, err := parser.ParseBytes(data, 0)
	if err != nil {
		var ye yaml.Error
		if errors.As(err, &ye) && ye.GetToken() != nil && ye.GetToken().Position != nil {
			p := ye.GetToken().Position
			return usageError("%s:%d:%d: %s", path, p.Line, p.Column, ye.GetMessage())
		}
		return usageError("%s: %v", path, err)
	}
	dir := filepath.Dir(path)
	var secrets []string
	for _, doc := range tree.Docs {
		if doc == nil || doc.Body == nil {
			continue
		}
		var pairs []*ast.MappingValueNode
		switch b := doc.Body.(type) {
		case *ast.MappingNode:
			pairs = b.Values
		case *ast.MappingValueNode:
			pairs = []*ast.MappingValueNode{b}
		case *ast.CommentGroupNode:
			continue
		default:
			return posError(path, doc.Body, "want keys and values (endpoint: …, tenant: …), got %s", nodeKind(doc.Body))
		}
		for _, kv := range pairs {
			key := strings.TrimSpace(kv.Key.GetToken().Value)
			s := settingByKey(key)
			if s == nil {
				return posError(path, kv.Key, "unknown key %q (known: %s)", key, knownKeys())
			}
			v, err := scalar(*s, kv.Value)
			if err != nil && s.secret {
				return posError(path, kv.Value, "%s: want a string", key) // without the value
			}
			if err != nil {
				return posError(path, kv.Value, "%s: %v", key, err)
			}
			if v == "" {
				continue
			}
			if s.path && !filepath.IsAbs(v) {
				v = filepath.Join(dir, v)
			}
			if s.secret {
				secrets = append(secrets, key)
			}
			line := kv.Key.GetToken().Position.Line
			cfg.values[key] = configValue{value: v, source: fmt.Sprintf("%s:%d", path, line), layer: layerFile}
		}
	}
	if len(secrets) > 0 {
		fi, err := os.Stat(path)
		if err != nil {
			return usageError("config: %v", err)
		}
		if err := credentials.CheckPrivateMode(path, fi.Mode()); err != nil {
			return usageError("config: refusing %s: it holds %s: %v", path, strings.Join(secrets, " and "), err)
		}
	}
	return nil
}

// scalar reads a setting's value node, checking its YAML type.
func scalar(s setting, n ast.Node) (string, error) {
	if n == nil {
		return "", nil
	}
	switch v := n.(type) {
	case *ast.NullNode:
		return "", nil
	case *ast.StringNode:
		if s.kind != kindString {
			return "", fmt.Errorf("want a number, got the string %q", v.Value)
		}
		return v.Value, nil
	case *ast.LiteralNode:
		if s.kind != kindString {
			return "", errors.New("want a number, got a block of text")
		}
		return strings.TrimSpace(v.Value.Value), nil
	case *ast.IntegerNode:
		if s.kind == kindString {
			return "", fmt.Errorf("want a string, got the number %s (quote it)", v.GetToken().Value)
		}
		return v.GetToken().Value, nil
	case *ast.FloatNode:
		if s.kind != kindFloat {
			if s.kind == kindInt {
				return "", fmt.Errorf("want a whole number, got %s", v.GetToken().Value)
			}
			return "", fmt.Errorf("want a string, got the number %s (quote it)", v.GetToken().Value)
		}
		return v.GetToken().Value, nil
	}
	want := "a string"
	if s.kind != kindString {
		want = "a number"
	}
	return "", fmt.Errorf("want %s, got %s", want, nodeKind(n))
}

func nodeKind(n ast.Node) string {
	switch n.(type) {
	case *ast.MappingNode, *ast.MappingValueNode:
		return "a mapping"
	case *ast.SequenceNode:
		return "a list"
	case *ast.BoolNode:
		return "a boolean"
	}
	return strings.ToLower(n.Type().String())
}

func checkKind(s setting, v string) error {
	switch s.kind {
	case kindInt:
		if _, err := strconv.Atoi(v); err != nil {
			return fmt.Errorf("want a whole number, got %q", v)
		}
	case kindFloat:
		if _, err := strconv.ParseFloat(v, 64); err != nil {
			return fmt.Errorf("want a number, got %q", v)
		}
	}
	return nil
}

func posError(path string, n ast.Node, format string, args ...any) error {
	line, col := 0, 0
	if tk := n.GetToken(); tk != nil && tk.Position != nil {
		line, col = tk.Position.Line, tk.Position.Column
	}
	return usageError("%s:%d:%d: %s", path, line, col, fmt.Sprintf(format, args...))
}

func knownKeys() string {
	keys := make([]string, len(settings))
	for i, s := range settings {
		keys[i] = s.key
	}
	slices.Sort(keys)
	return strings.Join(keys, ", ")
}

// authority is the Azure AD authority the configuration names; ok is false
// when it names no tenant and no client id.
func (c *config) authority() (a credentials.Authority, ok bool, err error) {
	v, err := credentials.ParseVersion(c.get("oauth_version"))
	if err != nil {
		return a, false, usageError("%v", err)
	}
	a = credentials.Authority{URL: c.get("authority"), Tenant: c.get("tenant"), ClientID: c.get("client_id"), Version: v}
	if a.Tenant == "" && a.ClientID == "" {
		return a, false, nil
	}
	if err := a.Check(); err != nil {
		return a, true, usageError("%v", err)
	}
	return a, true, nil
}

// tokenSource picks where the access token comes from, the highest layer
// first: a token file or token (flag, then environment, then file), else a
// refresh token for the configured tenant and client (the login that
// `refbatch login` saved, else refresh_token from the environment or file),
// else the saved login alone.
func tokenSource(ctx context.Context) (partnercenter.TokenSource, error) {
	cfg, err := configFromContext(ctx)
	if err != nil {
		return nil, err
	}
	tf, tok := cfg.values["token_file"], cfg.values["token"]
	switch {
	case tf.value != "" && tf.layer >= tok.layer:
		s, err := credentials.ReadTokenFile(tf.value)
		if err != nil {
			return nil, usageError("%v", err)
		}
		return s, nil
	case tok.value != "":
		s, err := credentials.NewStatic(tok.value)
		if err != nil {
			return nil, usageError("token (%s): %v", tok.source, err)
		}
		return s, nil
	}
	store, err := credentials.DefaultStore()
	if err != nil {
		return nil, err
	}
	login, err := store.Load()
	if err != nil && !errors.Is(err, credentials.ErrNoLogin) {
		return nil, usageError("%v", err)
	}
	a, named, err := cfg.authority()
	if err != nil {
		return nil, err
	}
	refresh := ""
	switch {
	case named && login.For(a):
		refresh = login.RefreshToken.Reveal()
	case named && cfg.get("refresh_token") != "":
		refresh = cfg.get("refresh_token")
	case named && login != nil:
		return nil, usageError("the saved login (%s) is for tenant %s and client %s, not tenant %s and client %s: run refbatch login --tenant %s --client-id %s",
			store.Path(), login.Tenant, login.ClientID, a.Tenant, a.ClientID, a.Tenant, a.ClientID)
	case named:
		return nil, usageError("not signed in to tenant %s: run refbatch login --tenant %s --client-id %s (or set REFBATCH_TOKEN)", a.Tenant, a.Tenant, a.ClientID)
	case login != nil:
		a, refresh = login.AuthorityOf(), login.RefreshToken.Reveal()
	default:
		return nil, usageError("no credentials: run refbatch login --tenant T --client-id C, set REFBATCH_TOKEN or --token-file, or rehearse with --sandbox")
	}
	r, err := credentials.NewRefresher(a, refresh, credentials.RefreshOptions{Store: store})
	if err != nil {
		return nil, usageError("%v", err)
	}
	return r, nil
}

var (
	_ partnercenter.TokenSource = (*credentials.Refresher)(nil)
	_ partnercenter.Invalidator = (*credentials.Refresher)(nil)
	_ partnercenter.TokenSource = (*credentials.Static)(nil)
)
