package batch

import (
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

	"github.com/refbatch/refbatch/credentials"
	"github.com/refbatch/refbatch/partnercenter"
)

// ConfigFileName is the configuration file refbatch looks for.
const ConfigFileName = "refbatch.yaml"

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

// Settings are the effective configuration: flags over environment over
// file over defaults, each value with where it came from. Every command
// resolves them once, with ResolveSettings.
type Settings struct {
	file   string // "" = none found
	values map[string]configValue
}

// Get is the effective value of a setting ("" when none).
func (c *Settings) Get(key string) string { return c.values[key].value }

// Source says where a setting's value came from: "flag --x", "env
// REFBATCH_X", "FILE:LINE" or "default"; "" when it is not set.
func (c *Settings) Source(key string) string { return c.values[key].source }

// File is the configuration file read, "" when none.
func (c *Settings) File() string { return c.file }

// Keys are every setting's key, in the order refbatch config prints them.
func Keys() []string {
	keys := make([]string, len(settings))
	for i, s := range settings {
		keys[i] = s.key
	}
	return keys
}

// IsSecret reports whether a setting holds a secret (never printed).
func IsSecret(key string) bool {
	s := settingByKey(key)
	return s != nil && s.secret
}

// FlagOf is the command-line flag of a setting, "" when it has none.
func FlagOf(key string) string {
	if s := settingByKey(key); s != nil {
		return s.flag
	}
	return ""
}

// readConfigFile lays the file's values into cfg. Unknown keys, wrong
// types and YAML errors name the file, line and column; a file others may
// read is refused when it holds a secret.
func readConfigFile(cfg *Settings, path string, explicit bool) error {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) && !explicit {
			return nil
		}
		return usageErrorf("config: %v", err)
	}
	cfg.file = path
	tree, err := parser.ParseBytes(data, 0)
	if err != nil {
		var ye yaml.Error
		if errors.As(err, &ye) && ye.GetToken() != nil && ye.GetToken().Position != nil {
			p := ye.GetToken().Position
			return usageErrorf("%s:%d:%d: %s", path, p.Line, p.Column, ye.GetMessage())
		}
		return usageErrorf("%s: %v", path, err)
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
			return usageErrorf("config: %v", err)
		}
		if err := credentials.CheckPrivateMode(path, fi.Mode()); err != nil {
			return usageErrorf("config: refusing %s: it holds %s: %v", path, strings.Join(secrets, " and "), err)
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
	return usageErrorf("%s:%d:%d: %s", path, line, col, fmt.Sprintf(format, args...))
}

func knownKeys() string {
	keys := make([]string, len(settings))
	for i, s := range settings {
		keys[i] = s.key
	}
	slices.Sort(keys)
	return strings.Join(keys, ", ")
}

// Authority is the Azure AD authority the settings name; ok is false when
// they name no tenant and no client id.
func (c *Settings) Authority() (a credentials.Authority, ok bool, err error) {
	v, err := credentials.ParseVersion(c.Get("oauth_version"))
	if err != nil {
		return a, false, usageErrorf("%v", err)
	}
	a = credentials.Authority{URL: c.Get("authority"), Tenant: c.Get("tenant"), ClientID: c.Get("client_id"), Version: v}
	if a.Tenant == "" && a.ClientID == "" {
		return a, false, nil
	}
	if err := a.Check(); err != nil {
		return a, true, usageErrorf("%v", err)
	}
	return a, true, nil
}

// SettingsSources are where ResolveSettings reads from. Nothing is looked
// up behind the caller's back: the command passes os.Getenv and its
// flags, a test passes maps.
type SettingsSources struct {
	// Flags are the flags the user set, by flag name ("endpoint",
	// "token-file"…), and ConfigFlag the --config flag ("" when not set).
	Flags      map[string]string
	ConfigFlag string
	// Getenv reads the environment (nil: an empty environment).
	Getenv func(string) string
	// Candidates are the configuration files looked for, in order, when
	// neither --config nor REFBATCH_CONFIG names one (DefaultCandidates).
	Candidates []string
}

// DefaultCandidates are ./refbatch.yaml, then refbatch.yaml in the user's
// configuration folder.
func DefaultCandidates() []string {
	c := []string{ConfigFileName}
	if dir, err := os.UserConfigDir(); err == nil {
		c = append(c, filepath.Join(dir, "refbatch", ConfigFileName))
	}
	return c
}

// ResolveSettings lays flags over environment over the configuration file
// over defaults.
func ResolveSettings(src SettingsSources) (*Settings, error) {
	getenv := src.Getenv
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	cfg := &Settings{values: map[string]configValue{}}
	for _, s := range settings {
		if s.def != "" {
			cfg.values[s.key] = configValue{value: s.def, source: "default", layer: layerDefault}
		}
	}
	path, explicit := src.ConfigFlag, src.ConfigFlag != ""
	if path == "" {
		if p := getenv("REFBATCH_CONFIG"); p != "" {
			path, explicit = p, true
		}
	}
	if path == "" {
		for _, p := range src.Candidates {
			if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
				path = p
				break
			}
		}
	}
	if path != "" {
		if err := readConfigFile(cfg, path, explicit); err != nil {
			return nil, err
		}
	}
	for _, s := range settings {
		if v := getenv(s.env); v != "" {
			if err := checkKind(s, v); err != nil {
				return nil, usageErrorf("%s: %v", s.env, err)
			}
			cfg.values[s.key] = configValue{value: v, source: "env " + s.env, layer: layerEnv}
		}
	}
	for _, s := range settings {
		if s.flag == "" {
			continue
		}
		if v, ok := src.Flags[s.flag]; ok {
			cfg.values[s.key] = configValue{value: v, source: "flag --" + s.flag, layer: layerFlag}
		}
	}
	if v := cfg.Get("oauth_version"); v != "" {
		if _, err := credentials.ParseVersion(v); err != nil {
			return nil, usageErrorf("%s (%s)", err, cfg.values["oauth_version"].source)
		}
	}
	return cfg, nil
}

// FileValue is a setting's value when it comes from the configuration file
// or the environment (not a flag, not a default): what a command lays under
// its flags.
func (c *Settings) FileValue(key string) (string, bool) {
	v, ok := c.values[key]
	if !ok || v.layer == layerFlag || v.layer == layerDefault {
		return "", false
	}
	return v.value, true
}

// TokenSource picks where the access token comes from, the highest layer
// first: a token file or token (flag, then environment, then file), else a
// refresh token for the configured tenant and client (the login that
// refbatch login saved in store, else refresh_token from the environment or
// file), else the saved login alone. store may be nil (no saved login).
func (c *Settings) TokenSource(store *credentials.Store) (partnercenter.TokenSource, error) {
	tf, tok := c.values["token_file"], c.values["token"]
	switch {
	case tf.value != "" && tf.layer >= tok.layer:
		s, err := credentials.ReadTokenFile(tf.value)
		if err != nil {
			return nil, usageErrorf("%v", err)
		}
		return s, nil
	case tok.value != "":
		s, err := credentials.NewStatic(tok.value)
		if err != nil {
			return nil, usageErrorf("token (%s): %v", tok.source, err)
		}
		return s, nil
	}
	var login *credentials.Login
	if store != nil {
		l, err := store.Load()
		if err != nil && !errors.Is(err, credentials.ErrNoLogin) {
			return nil, usageErrorf("%v", err)
		}
		login = l
	}
	a, named, err := c.Authority()
	if err != nil {
		return nil, err
	}
	refresh := ""
	switch {
	case named && login.For(a):
		refresh = login.RefreshToken.Reveal()
	case named && c.Get("refresh_token") != "":
		refresh = c.Get("refresh_token")
	case named && login != nil:
		return nil, usageErrorf("the saved login (%s) is for tenant %s and client %s, not tenant %s and client %s: run refbatch login --tenant %s --client-id %s",
			store.Path(), login.Tenant, login.ClientID, a.Tenant, a.ClientID, a.Tenant, a.ClientID)
	case named:
		return nil, usageErrorf("not signed in to tenant %s: run refbatch login --tenant %s --client-id %s (or set REFBATCH_TOKEN)", a.Tenant, a.Tenant, a.ClientID)
	case login != nil:
		a, refresh = login.AuthorityOf(), login.RefreshToken.Reveal()
	default:
		return nil, usageErrorf("no credentials: run refbatch login --tenant T --client-id C, set REFBATCH_TOKEN or --token-file, or rehearse with --sandbox")
	}
	r, err := credentials.NewRefresher(a, refresh, credentials.RefreshOptions{Store: store})
	if err != nil {
		return nil, usageErrorf("%v", err)
	}
	return r, nil
}

var (
	_ partnercenter.TokenSource = (*credentials.Refresher)(nil)
	_ partnercenter.Invalidator = (*credentials.Refresher)(nil)
	_ partnercenter.TokenSource = (*credentials.Static)(nil)
)
