package jsonreading

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"lantian/ingest/reading"
)

// The contract's payloads are flat objects of a few numbers and strings and one object of
// flags. They are read by the small scanner below instead of encoding/json's reflection, which
// cost more than the rest of a message's handling together; the reference decoder in the tests
// checks that both give the same reading or the same reason for any input.
//
// Order of errors, as encoding/json has it: a syntax error anywhere in the object first; then
// an error of a number or time value at once; an unknown field or a value of the wrong JSON
// type is remembered and reported when the object is done (the first one), so that a later
// bad number still wins. After the object only white space may follow.

// maxDepth bounds nesting while checking syntax, as encoding/json does.
const maxDepth = 10000

var errSyntax = errors.New("invalid JSON")

// scanner reads JSON from b at i.
type scanner struct {
	b []byte
	i int
}

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *scanner) syntax(what string) error {
	if s.i >= len(s.b) {
		return io.ErrUnexpectedEOF // as encoding/json says it
	}
	return fmt.Errorf("%w: %s at offset %d", errSyntax, what, s.i)
}

// value checks one JSON value at s.i and moves past it, returning its first byte.
func (s *scanner) value(depth int) (byte, error) {
	s.ws()
	if s.i >= len(s.b) {
		return 0, s.syntax("unexpected end")
	}
	c := s.b[s.i]
	switch {
	case c == '{' || c == '[':
		if depth >= maxDepth {
			return 0, s.syntax("nested too deeply")
		}
		return c, s.composite(c, depth)
	case c == '"':
		_, err := s.str()
		return c, err
	case c == '-' || (c >= '0' && c <= '9'):
		return c, s.number()
	case c == 't':
		return c, s.literal("true")
	case c == 'f':
		return c, s.literal("false")
	case c == 'n':
		return c, s.literal("null")
	}
	return 0, s.syntax(fmt.Sprintf("unexpected %q", c))
}

func (s *scanner) composite(open byte, depth int) error {
	s.i++
	s.ws()
	closing := byte('}')
	if open == '[' {
		closing = ']'
	}
	if s.i < len(s.b) && s.b[s.i] == closing {
		s.i++
		return nil
	}
	for {
		if open == '{' {
			s.ws()
			if s.i >= len(s.b) || s.b[s.i] != '"' {
				return s.syntax("object key expected")
			}
			if _, err := s.str(); err != nil {
				return err
			}
			s.ws()
			if s.i >= len(s.b) || s.b[s.i] != ':' {
				return s.syntax("':' expected")
			}
			s.i++
		}
		if _, err := s.value(depth + 1); err != nil {
			return err
		}
		s.ws()
		if s.i >= len(s.b) {
			return s.syntax("unexpected end")
		}
		switch s.b[s.i] {
		case ',':
			s.i++
		case closing:
			s.i++
			return nil
		default:
			return s.syntax("',' or end expected")
		}
	}
}

// str checks a string at s.i and moves past it; plain reports that it has no escapes, control
// characters or invalid UTF-8, so its bytes are its value.
func (s *scanner) str() (plain bool, err error) {
	s.i++ // opening quote
	plain = true
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			s.i++
			return plain, nil
		case c == '\\':
			plain = false
			s.i++
			if s.i >= len(s.b) {
				return false, s.syntax("unexpected end in string")
			}
			switch s.b[s.i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.i++
			case 'u':
				if s.i+4 >= len(s.b) {
					return false, s.syntax("short \\u escape")
				}
				for _, h := range s.b[s.i+1 : s.i+5] {
					if !isHex(h) {
						return false, s.syntax("bad \\u escape")
					}
				}
				s.i += 5
			default:
				return false, s.syntax("bad escape")
			}
		case c < 0x20:
			return false, s.syntax("control character in string")
		case c < utf8.RuneSelf:
			s.i++
		default:
			r, n := utf8.DecodeRune(s.b[s.i:])
			if r == utf8.RuneError && n == 1 {
				plain = false // encoding/json replaces it with U+FFFD
			}
			s.i += n
		}
	}
	return false, s.syntax("unexpected end in string")
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

// number checks a JSON number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *scanner) number() error {
	b, i := s.b, s.i
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	default:
		s.i = i
		return s.syntax("bad number")
	}
	if i < len(b) && b[i] == '.' {
		i++
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			s.i = i
			return s.syntax("bad number")
		}
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			s.i = i
			return s.syntax("bad number")
		}
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	}
	s.i = i
	return nil
}

func (s *scanner) literal(lit string) error {
	if len(s.b)-s.i < len(lit) || string(s.b[s.i:s.i+len(lit)]) != lit {
		return s.syntax("bad literal")
	}
	s.i += len(lit)
	return nil
}

// member is one key and raw value of an object whose syntax has been checked.
type member struct {
	key, val []byte
	plainKey bool
}

// members calls fn for each member of the object at s.i, which must have been checked.
func (s *scanner) members(fn func(m member) error) error {
	s.ws()
	s.i++ // '{'
	for {
		s.ws()
		if s.b[s.i] == '}' {
			s.i++
			return nil
		}
		if s.b[s.i] == ',' {
			s.i++
			s.ws()
		}
		k := s.i
		plain, _ := s.str()
		m := member{key: s.b[k+1 : s.i-1], plainKey: plain}
		s.ws()
		s.i++ // ':'
		s.ws()
		v := s.i
		_, _ = s.value(0)
		m.val = s.b[v:s.i]
		if err := fn(m); err != nil {
			return err
		}
	}
}

// text is the value of a JSON string's raw bytes (quotes included); same, when the value
// equals it, is returned without allocating.
func text(raw []byte, same string) string {
	inner := raw[1 : len(raw)-1]
	if string(inner) == same && same != "" && !strings.ContainsRune(same, '\\') && utf8.ValidString(same) {
		return same
	}
	sc := scanner{b: raw}
	if plain, _ := sc.str(); plain {
		return string(inner)
	}
	var s string
	_ = json.Unmarshal(raw, &s) // escapes and invalid UTF-8, as encoding/json decodes them
	return s
}

// keyText is a member's key as a string.
func keyText(m member) string {
	if m.plainKey {
		return string(m.key)
	}
	var s string
	_ = json.Unmarshal(append(append([]byte{'"'}, m.key...), '"'), &s)
	return s
}

// flagSet is the "flags" object: field name → flag text, in order, the last of equal names
// kept (a JSON object read into a map).
type flagSet struct {
	buf [8][2]string
	kv  [][2]string
}

func (f *flagSet) set(name, text string) {
	for i := range f.kv {
		if f.kv[i][0] == name {
			f.kv[i][1] = text
			return
		}
	}
	if f.kv == nil {
		f.kv = f.buf[:0]
	}
	f.kv = append(f.kv, [2]string{name, text})
}

// typeError is what encoding/json reports for a value of the wrong JSON type.
func typeError(field string, val []byte, want string) error {
	return reading.Reject(reading.ReasonBadValue, "field %q: json: cannot unmarshal %s into a %s", field, kindOf(val), want)
}

func kindOf(val []byte) string {
	switch val[0] {
	case '"':
		return "string"
	case '{':
		return "object"
	case '[':
		return "array"
	case 't', 'f':
		return "bool"
	case 'n':
		return "null"
	}
	return "number"
}

// decodeObject checks payload and walks its top-level object: set gets each member with its key
// matched to one of names (exactly, else ignoring case, as encoding/json does) or returns
// false for an unknown key; flags gets the "flags" object. It returns the contract's
// rejections.
func decodeObject(payload []byte, names []string, set func(name string, val []byte) (bool, error), flags *flagSet) error {
	sc := scanner{b: payload}
	first, err := sc.value(0)
	if err != nil {
		return &reading.Rejection{Reason: reading.ReasonMalformed, Err: err}
	}
	sc.ws()
	trailing := func() error {
		if sc.i < len(sc.b) {
			return reading.Reject(reading.ReasonMalformed, "trailing data after the JSON object")
		}
		return nil
	}
	switch first {
	case 'n':
		return trailing() // null decodes to nothing, so the time is missing
	case '{':
	default:
		return reading.Reject(reading.ReasonMalformed, "json: cannot unmarshal %s into the reading object", kindOf(payload[skipWS(payload):]))
	}
	var saved error
	save := func(err error) {
		if saved == nil {
			saved = err
		}
	}
	walk := scanner{b: payload}
	err = walk.members(func(m member) error {
		name, ok := match(m, names)
		if !ok {
			save(&reading.Rejection{Reason: reading.ReasonUnknownField, Err: fmt.Errorf("json: unknown field %q", keyText(m))})
			return nil
		}
		if name == "flags" {
			return flags.decode(m.val, save)
		}
		known, err := set(name, m.val)
		if !known {
			save(err)
			return nil
		}
		switch err.(type) {
		case nil:
			return nil
		case *badValueError:
			return &reading.Rejection{Reason: reading.ReasonBadValue, Err: err}
		case *badTimeError:
			return &reading.Rejection{Reason: reading.ReasonBadTime, Err: err}
		}
		return err
	})
	if err != nil {
		return err
	}
	if saved != nil {
		return saved
	}
	return trailing()
}

func skipWS(b []byte) int {
	sc := scanner{b: b}
	sc.ws()
	return sc.i
}

// match finds the field a key names: an exact match, else one ignoring case.
func match(m member, names []string) (string, bool) {
	if m.plainKey {
		for _, n := range names {
			if string(m.key) == n {
				return n, true
			}
		}
	}
	k := keyText(m)
	for _, n := range names {
		if equalFoldJSON(k, n) {
			return n, true
		}
	}
	return "", false
}

// equalFoldJSON is encoding/json's key folding for ASCII names: case-insensitive, with the
// Kelvin sign and long s folding to k and s as Unicode simple folding has it.
func equalFoldJSON(key, name string) bool {
	i := 0
	for _, r := range key {
		if i >= len(name) {
			return false
		}
		c := rune(name[i])
		switch {
		case r == c:
		case r == '\u212a' && (c == 'k' || c == 'K'), r == '\u017f' && (c == 's' || c == 'S'):
		case r < utf8.RuneSelf && 'a' <= c && c <= 'z' && r == c-'a'+'A':
		case r < utf8.RuneSelf && 'A' <= c && c <= 'Z' && r == c-'A'+'a':
		default:
			return false
		}
		i++
	}
	return i == len(name)
}

// decode reads the flags object: null empties it; values must be strings (null is "").
func (f *flagSet) decode(val []byte, save func(error)) error {
	switch val[0] {
	case 'n':
		f.kv = f.kv[:0]
		return nil
	case '{':
	default:
		save(typeError("flags", val, "map of flag letters"))
		return nil
	}
	sc := scanner{b: val}
	return sc.members(func(m member) error {
		name := keyText(m)
		switch m.val[0] {
		case '"':
			f.set(name, text(m.val, flagText(m.val)))
		case 'n':
			f.set(name, "")
		default:
			save(typeError("flags."+name, m.val, "flag letter"))
		}
		return nil
	})
}

// flagLetters are the flag letters of reading.ParseFlag.
const flagLetters = "NFMSDCTBP"

// flagText is the one-letter flag a raw string holds, as a slice of a constant so that taking
// it does not allocate; "" when it holds something else.
func flagText(raw []byte) string {
	if len(raw) == 3 {
		if i := strings.IndexByte(flagLetters, raw[1]); i >= 0 {
			return flagLetters[i : i+1]
		}
	}
	return ""
}
