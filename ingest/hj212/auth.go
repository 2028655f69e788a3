package hj212

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
)

// Authenticate checks a packet's PW against the device's password. The comparison takes the
// same time whatever the PW, so timing tells an attacker nothing about the password. A device
// with no password is refused (ErrNoCredentials) unless NoPassword opts it out: an MN is no
// secret (it is printed on the logger and sent in clear in every packet), so a device without
// a password would accept data from anyone.
func (d Device) Authenticate(pw string) error {
	if d.NoPassword {
		return nil
	}
	if d.Password == "" {
		return fmt.Errorf("device %q: %w", d.MN, ErrNoCredentials)
	}
	// Comparing fixed-size digests keeps the time independent of the lengths too.
	want, got := sha256.Sum256([]byte(d.Password)), sha256.Sum256([]byte(pw))
	if subtle.ConstantTimeCompare(want[:], got[:]) != 1 {
		return fmt.Errorf("device %q: %w", d.MN, ErrPassword)
	}
	return nil
}
