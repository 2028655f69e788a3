package validate

import "fmt"

// MaxIDLength bounds station, source and outlet ids that arrive in input.
const MaxIDLength = 64

// CheckIncomingID checks an id that arrives in input rather than from the registry (a station
// accepted with accept_unknown_stations): 1 to 64 of the characters A–Z a–z 0–9 . _ - and
// nothing else, so that no id can carry markup, shell or template syntax (`${x}`,
// `$(id)<b>`) into tags, boards, pages or alert texts.
func CheckIncomingID(id string) error {
	if id == "" || len(id) > MaxIDLength {
		return fmt.Errorf("id %.70q must be 1 to %d characters long", id, MaxIDLength)
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			return fmt.Errorf("id %q may hold only A-Z a-z 0-9 . _ -", id)
		}
	}
	return nil
}
