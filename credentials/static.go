package credentials

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
)

// maxTokenFile bounds what ReadTokenFile reads: an access token is a few
// kilobytes.
const maxTokenFile = 64 << 10

// Static is a token given whole. It is never refreshed: once it expires,
// the API answers 401 and the run stops.
type Static struct{ token Secret }

// NewStatic returns a Static of token, trimmed; an empty token is an error.
func NewStatic(token string) (*Static, error) {
	token = strings.TrimSpace(token)
	if token == "" {
		return nil, errors.New("empty token")
	}
	return &Static{token: Secret(token)}, nil
}

// Token returns the token.
func (s *Static) Token(context.Context) (string, error) { return s.token.Reveal(), nil }

// ReadTokenFile reads a token file once: the token is the file's content,
// trimmed. A file that group or others may read is refused (on systems with
// Unix permissions), as is an empty one.
func ReadTokenFile(path string) (*Static, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("token file: %w", err)
	}
	defer f.Close()
	if err := checkPrivate(f, path); err != nil {
		return nil, err
	}
	b, err := io.ReadAll(io.LimitReader(f, maxTokenFile+1))
	if err != nil {
		return nil, fmt.Errorf("token file %s: %w", path, err)
	}
	if len(b) > maxTokenFile {
		return nil, fmt.Errorf("token file %s: larger than %d bytes; it should hold one token", path, maxTokenFile)
	}
	s, err := NewStatic(string(b))
	if err != nil {
		return nil, fmt.Errorf("token file %s: %w", path, err)
	}
	return s, nil
}

// checkPrivate refuses a file whose permissions let group or others read
// or write it.
func checkPrivate(f *os.File, path string) error {
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file", path)
	}
	return CheckPrivateMode(path, fi.Mode())
}

// CheckPrivateMode returns an error when mode lets group or others read or
// write the file at path. It always passes on Windows, where mode bits say
// nothing about access.
func CheckPrivateMode(path string, mode os.FileMode) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	if perm := mode.Perm(); perm&0o077 != 0 {
		return fmt.Errorf("%s holds a secret and is readable by others (mode %04o); make it private: chmod 600 %s", path, perm, path)
	}
	return nil
}

// TenantOf is the Azure AD tenant an access token names (its tid claim),
// "" when the token is not a JWT that says. The token is not verified:
// Partner Center does that; a journal only uses the tenant to refuse a
// run for another tenant.
func TenantOf(token string) string {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return ""
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return ""
	}
	var claims struct {
		TID string `json:"tid"`
	}
	if json.Unmarshal(payload, &claims) != nil {
		return ""
	}
	return claims.TID
}
