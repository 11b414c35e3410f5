package credentials

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
)

const redacted = "[redacted]"

// Secret is a token or refresh token. However it is printed, logged or
// encoded it shows "[redacted]"; Reveal returns the value.
type Secret string

// Reveal returns the secret itself, for the one place that must send it.
func (s Secret) Reveal() string { return string(s) }

// String returns "[redacted]".
func (s Secret) String() string { return redacted }

// GoString returns "[redacted]", for %#v.
func (s Secret) GoString() string { return redacted }

// Format prints "[redacted]" for every verb.
func (s Secret) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, redacted) }

// LogValue keeps the secret out of slog output.
func (s Secret) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalText keeps the secret out of JSON, YAML and other text encodings.
func (s Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// Mask shows that a secret is set without showing it: "[redacted]", or ""
// when s is empty.
func Mask(s string) string {
	if s == "" {
		return ""
	}
	return redacted
}

// scrub replaces every non-empty secret in msg with "[redacted]".
func scrub(msg string, secrets ...string) string {
	for _, s := range secrets {
		if len(s) >= 4 {
			msg = strings.ReplaceAll(msg, s, redacted)
		}
	}
	return msg
}
