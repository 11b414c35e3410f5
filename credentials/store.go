package credentials

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// ErrNoLogin is returned by Store.Load when nobody has logged in.
var ErrNoLogin = errors.New("not logged in")

// Login is what `refbatch login` keeps: where the refresh token is valid,
// and the refresh token.
type Login struct {
	Authority    string
	Tenant       string
	ClientID     string
	Version      Version
	RefreshToken Secret
	Saved        time.Time
}

// For reports whether the login was made for authority a (same instance,
// tenant, client and version).
func (l *Login) For(a Authority) bool {
	return l != nil && l.Authority == a.URL && l.Tenant == a.Tenant && l.ClientID == a.ClientID && l.Version == a.Version
}

// AuthorityOf returns the Authority the login was made for.
func (l *Login) AuthorityOf() Authority {
	return Authority{URL: l.Authority, Tenant: l.Tenant, ClientID: l.ClientID, Version: l.Version}
}

// loginFile is the file format of a Login.
type loginFile struct {
	Format       string    `json:"format"`
	Authority    string    `json:"authority"`
	Tenant       string    `json:"tenant"`
	ClientID     string    `json:"client_id"`
	Version      Version   `json:"oauth_version"`
	RefreshToken string    `json:"refresh_token"`
	Saved        time.Time `json:"saved"`
}

const loginFormat = "refbatch-login/1"

// Store is the file holding a Login, readable by its owner only.
type Store struct{ path string }

// NewStore returns the store at path.
func NewStore(path string) *Store { return &Store{path: path} }

// DefaultStorePath is token.json in os.UserConfigDir()/refbatch.
func DefaultStorePath() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("token store: %w", err)
	}
	return filepath.Join(dir, "refbatch", "token.json"), nil
}

// DefaultStore is the store at DefaultStorePath.
func DefaultStore() (*Store, error) {
	p, err := DefaultStorePath()
	if err != nil {
		return nil, err
	}
	return NewStore(p), nil
}

// Path is the store's file.
func (s *Store) Path() string { return s.path }

// Load reads the login. No file is ErrNoLogin; a file others may read is
// refused.
func (s *Store) Load() (*Login, error) {
	f, err := os.Open(s.path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNoLogin
	}
	if err != nil {
		return nil, fmt.Errorf("token store: %w", err)
	}
	defer f.Close()
	if err := checkPrivate(f, s.path); err != nil {
		return nil, err
	}
	b, err := io.ReadAll(io.LimitReader(f, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("token store %s: %w", s.path, err)
	}
	var lf loginFile
	if err := json.Unmarshal(b, &lf); err != nil || lf.Format != loginFormat {
		// Not the error itself: it could quote part of the file.
		return nil, fmt.Errorf("token store %s is not a refbatch login file; remove it with refbatch logout and log in again", s.path)
	}
	if lf.RefreshToken == "" {
		return nil, fmt.Errorf("token store %s holds no refresh token; log in again", s.path)
	}
	return &Login{Authority: lf.Authority, Tenant: lf.Tenant, ClientID: lf.ClientID, Version: lf.Version,
		RefreshToken: Secret(lf.RefreshToken), Saved: lf.Saved}, nil
}

// Save writes l atomically: a temporary file (mode 0600) in the same
// directory, synced, then renamed over the old one. The directory is
// created 0700 if missing.
func (s *Store) Save(l Login) error {
	if l.Saved.IsZero() {
		l.Saved = time.Now().UTC()
	}
	b, err := json.MarshalIndent(loginFile{Format: loginFormat, Authority: l.Authority, Tenant: l.Tenant, ClientID: l.ClientID,
		Version: l.Version, RefreshToken: l.RefreshToken.Reveal(), Saved: l.Saved}, "", "  ")
	if err != nil {
		return fmt.Errorf("token store: %w", err)
	}
	return writePrivate(s.path, append(b, '\n'))
}

// Remove deletes the login. It reports whether there was one.
func (s *Store) Remove() (bool, error) {
	err := os.Remove(s.path)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("token store: %w", err)
	}
	return true, nil
}

// writePrivate replaces path with data through a 0600 temporary file and a
// rename, so a reader sees the old file or the new one, never half of one.
func writePrivate(path string, data []byte) (err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("token store: %w", err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("token store: %w", err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			_ = os.Remove(tmp)
		}
	}()
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return fmt.Errorf("token store: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("token store: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("token store: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("token store: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("token store: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}
