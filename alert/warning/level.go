// Package warning recommends heavy-pollution weather warnings (重污染天气预警): it grades a
// forecast of daily (and optionally hourly rolling-24h) AQI against a warning scheme held as
// data, says which days or hours met which condition, and recommends issuing, upgrading,
// downgrading, keeping or lifting a warning relative to the one in force, for single areas and
// for a region that warns as one (区域统一预警). It also carries the emission-reduction ratios
// each level requires, and the offline CSV engine of `lantian warnings recommend`.
//
// The rules come from the national warning schemes (环大气〔2017〕86号, the 2018 three-level
// scheme, 环大气〔2024〕6号) and Xinjiang practice; every number is data in scheme.go with a
// citation, and docs/warnings.md explains the method and lists what could not be confirmed.
// The package is pure: no I/O except the CSV engine's reader and writer, and no global mutable
// state.
package warning

import (
	"fmt"
	"strings"
)

// Level is a warning level. The zero value is no warning. Levels are ordered: a higher value is
// a stricter warning, so levels compare with < and >.
type Level int

// The warning levels. Blue exists only in the 2017 four-level scheme and as an optional local
// tier (the 2018+ national schemes have none); yellow, orange and red map to responses Ⅲ, Ⅱ and Ⅰ.
const (
	None Level = iota
	Blue
	Yellow
	Orange
	Red
)

var levelNames = [...]struct{ en, zh, response string }{
	None:   {"none", "无预警", ""},
	Blue:   {"blue", "蓝色预警", "Ⅳ级"},
	Yellow: {"yellow", "黄色预警", "Ⅲ级"},
	Orange: {"orange", "橙色预警", "Ⅱ级"},
	Red:    {"red", "红色预警", "Ⅰ级"},
}

// Valid reports whether l is one of the five levels.
func (l Level) Valid() bool { return l >= None && l <= Red }

// String is the English name used in CSV, JSON and config: none, blue, yellow, orange, red.
func (l Level) String() string {
	if !l.Valid() {
		return fmt.Sprintf("level(%d)", int(l))
	}
	return levelNames[l].en
}

// Chinese is the name used in notices, e.g. 橙色预警; 无预警 for None.
func (l Level) Chinese() string {
	if !l.Valid() {
		return ""
	}
	return levelNames[l].zh
}

// Response is the emergency response a warning starts (Ⅳ级 … Ⅰ级); empty for None.
func (l Level) Response() string {
	if !l.Valid() {
		return ""
	}
	return levelNames[l].response
}

// ParseLevel accepts the English name (any case) or the Chinese name, with or without 预警.
func ParseLevel(s string) (Level, error) {
	t := strings.TrimSpace(s)
	for i, n := range levelNames {
		zh := strings.TrimSuffix(n.zh, "预警")
		if strings.EqualFold(t, n.en) || t == n.zh || (i != int(None) && t == zh) {
			return Level(i), nil
		}
	}
	return None, fmt.Errorf("unknown warning level %q (want none, blue, yellow, orange or red)", s)
}

// MarshalText makes levels readable in JSON and YAML config.
func (l Level) MarshalText() ([]byte, error) {
	if !l.Valid() {
		return nil, fmt.Errorf("invalid warning level %d", int(l))
	}
	return []byte(l.String()), nil
}

// UnmarshalText parses what ParseLevel accepts.
func (l *Level) UnmarshalText(b []byte) error {
	v, err := ParseLevel(string(b))
	if err != nil {
		return err
	}
	*l = v
	return nil
}

// Action is what a recommendation asks the emergency office to do.
type Action int

// Actions relative to the level currently in force.
const (
	// NoAction: no warning in force and none needed.
	NoAction Action = iota
	// Issue a warning where none is in force.
	Issue
	// Upgrade the warning in force to a stricter level.
	Upgrade
	// Keep the warning in force unchanged.
	Keep
	// Downgrade the warning in force to a milder (non-zero) level.
	Downgrade
	// Lift the warning in force (the lift rule is met).
	Lift
)

var actionNames = [...]string{"none", "issue", "upgrade", "keep", "downgrade", "lift"}

var actionChinese = [...]string{"无需预警", "建议发布", "建议升级", "维持", "建议降级", "建议解除"}

// Chinese is the action as the office says it (发布, 升级, 维持, 降级, 解除).
func (a Action) Chinese() string {
	if a < 0 || int(a) >= len(actionChinese) {
		return a.String()
	}
	return actionChinese[a]
}

func (a Action) String() string {
	if a < 0 || int(a) >= len(actionNames) {
		return fmt.Sprintf("action(%d)", int(a))
	}
	return actionNames[a]
}

// MarshalText writes the action's name.
func (a Action) MarshalText() ([]byte, error) { return []byte(a.String()), nil }
