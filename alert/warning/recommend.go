package warning

import (
	"fmt"
	"strings"
)

// Recommendation is what the emergency office should do for one area (or region).
type Recommendation struct {
	Area   string
	Scheme string
	// Current is the level in force when the recommendation was made.
	Current Level
	Action  Action
	// Level is the level in force after the action.
	Level Level
	// Assessment grades the whole forecast; Due grades only the episodes starting within the
	// scheme's LeadHours, which is what the action is based on. For a region both hold the
	// regional level without findings (the members' recommendations hold those).
	Assessment Assessment
	Due        Assessment
	Lift       LiftCheck
	// Region is the region whose unified warning set Level, if any.
	Region string
	// Reduction is what Level requires; zero ratios for None and Blue.
	Reduction Reduction
	// Reason explains the action in one line; ReasonZH in Chinese.
	Reason   string
	ReasonZH string
	// Episode is the kind of the due episode (EpisodePM, EpisodeSandDust, EpisodeO3; empty
	// when none), Advice what it calls for besides or instead of a warning.
	Episode string
	Advice  string
}

// Recommend grades the forecast and compares it with the level in force. Only episodes starting
// within the scheme's LeadHours of the forecast start (or already running) are acted on; a later
// one is reported in the reason, so that a warning is not issued days early and lifted again in
// between. Then:
//
//   - nothing in force: issue the level met, if any;
//   - the lift rule met (forecast below the lift threshold long enough from its start) and no
//     episode due: lift;
//   - a higher level met: upgrade; the same level: keep; a lower non-zero level: downgrade;
//   - no level met but the lift rule not met yet: keep.
//
// When the lift rule is met but a new episode is due within the lead time, the warning passes
// straight to the new episode's level rather than being lifted and issued again within days
// (the MEP slides of 2017-09-20 count two episodes as one only when the gap is too short to
// lift; this merge is Lantian's choice, see docs/warnings.md).
//
// Observed days (Input.Observed) make an episode that is already running count in full, so a
// warning is not downgraded just because fewer bad days remain ahead.
func (s Scheme) Recommend(in Input, current Level) (Recommendation, error) {
	if !current.Valid() {
		return Recommendation{}, fmt.Errorf("area %s: current level %d is not a warning level", in.Area, int(current))
	}
	a, err := s.Evaluate(in)
	if err != nil {
		return Recommendation{}, err
	}
	due, err := s.evaluate(in, s.LeadHours)
	if err != nil {
		return Recommendation{}, err
	}
	lc := s.liftCheck(in)
	r := Recommendation{Area: in.Area, Scheme: s.Name, Current: current, Assessment: a, Due: due, Lift: lc}
	r.Action, r.Level = decide(current, due.Level, lc.Met)
	r.Reason = explain(r, s.LeadHours)
	r.ReasonZH = explainChinese(r, s.LeadHours)
	r.Reduction, _ = s.Reduction(r.Level)
	s.applyEpisode(&r, in)
	return r, nil
}

// decide applies the rules of Recommend to levels.
func decide(current, due Level, liftMet bool) (Action, Level) {
	switch {
	case current == None && due == None:
		return NoAction, None
	case current == None:
		return Issue, due
	case liftMet && due == None:
		return Lift, None
	case due > current:
		return Upgrade, due
	case due == current:
		return Keep, current
	case due > None:
		return Downgrade, due
	}
	return Keep, current
}

// actionTo is the action that moves current to target when the target is imposed (a regional
// warning applied to a member).
func actionTo(current, target Level) Action {
	switch {
	case target == current && target == None:
		return NoAction
	case target == current:
		return Keep
	case current == None:
		return Issue
	case target == None:
		return Lift
	case target > current:
		return Upgrade
	}
	return Downgrade
}

func explain(r Recommendation, lead int) string {
	a, due := r.Assessment, r.Due
	var b strings.Builder
	switch r.Action {
	case NoAction:
		b.WriteString("no warning: " + due.Reason())
	case Issue, Upgrade, Downgrade:
		fmt.Fprintf(&b, "%s to %s: %s", r.Action, r.Level, due.Reason())
	case Keep:
		fmt.Fprintf(&b, "keep %s: %s", r.Level, due.Reason())
		if due.Level != r.Level {
			fmt.Fprintf(&b, "; %s", r.Lift.Text)
		}
	case Lift:
		b.WriteString("lift: " + r.Lift.Text)
	}
	if r.Lift.Met && r.Current > None && r.Action != Lift {
		fmt.Fprintf(&b, "; %s, but a new episode is due within %d h: carried over instead of lifting", r.Lift.Text, lead)
	}
	if a.Level > due.Level && len(a.Findings) > 0 {
		f := a.Findings[0]
		fmt.Fprintf(&b, "; later: %s episode from %s (in %d h, beyond the %d h lead): %s", f.Level, f.Start, f.StartsIn, lead, f)
	}
	return b.String()
}
