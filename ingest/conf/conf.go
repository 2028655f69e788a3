// Package conf holds the value types that component configs share: secrets that never print,
// sizes written with units, and secrets read from files. Component packages import it for
// their own config structs without importing the service's config loader.
package conf

import (
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Secret is a password or token: it never prints.
type Secret string

func (Secret) String() string { return "[redacted]" }

// MarshalYAML keeps secrets out of dumped configs.
func (s Secret) MarshalYAML() (any, error) {
	if s == "" {
		return "", nil
	}
	return "[redacted]", nil
}

// Reveal returns the secret's value for the one place that needs it.
func (s Secret) Reveal() string { return string(s) }

// ReadSecretFile sets *dst to the trimmed content of the file at path; an empty path leaves
// *dst as it is. Keeping a secret in a file keeps it out of the config file and the process list.
func ReadSecretFile(dst *Secret, path string) error {
	if path == "" {
		return nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	*dst = Secret(strings.TrimSpace(string(b)))
	return nil
}

// ByteSize is a size in bytes written as a number or with a unit: 512KiB, 64MiB, 2GiB, 1GB.
type ByteSize int64

// UnmarshalYAML parses sizes with units.
func (b *ByteSize) UnmarshalYAML(n *yaml.Node) error {
	v, err := ParseByteSize(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*b = v
	return nil
}

// ParseByteSize parses a size such as 1048576, 512KiB, 64MiB, 2GiB, 100MB or 1GB.
func ParseByteSize(s string) (ByteSize, error) {
	s = strings.TrimSpace(s)
	units := []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"B", 1}}
	mult := int64(1)
	for _, u := range units {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSpace(strings.TrimSuffix(s, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("size %q: want a non-negative number with an optional unit (KiB, MiB, GiB, KB, MB, GB)", s)
	}
	return ByteSize(n * mult), nil
}

// RedactURL returns u with the password of its user info replaced, for logs, metric labels
// and printed configs: "tcp://lantian:xxxxx@broker:1883". A URL that does not parse is
// replaced whole when it holds an '@' (it may hold a password), else returned as it is.
func RedactURL(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		if strings.Contains(u, "@") {
			return "[unparsable url]"
		}
		return u
	}
	return p.Redacted()
}
