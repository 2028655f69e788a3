package warning

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"lantian/ingest/registry"
)

// DefaultMinAreas is how many member areas must meet a level (or meet the lift rule) for a
// regional warning to be issued at that level (or lifted). Xinjiang lifts a regional warning
// when "3 or more contiguous counties/cities across prefectures" have daily AQI < 150 for ≥ 36 h
// (自治区 lifting notices 2024-03-02, 2025-01-08); the matching start rule is inferred, not read
// in any notice. Contiguity is not checked: the registry has no adjacency data.
const DefaultMinAreas = 3

// Region is a group of areas that warns as one (区域统一预警, the 乌-昌-石 key area).
type Region struct {
	ID      string   `json:"id" yaml:"id"`
	Members []string `json:"members" yaml:"members"`
	// MinAreas members meeting a level (or higher) make a regional warning at that level;
	// LiftMinAreas members meeting the lift rule lift it. Zero means DefaultMinAreas; both are
	// capped at the number of members.
	MinAreas     int `json:"min_areas,omitempty" yaml:"min_areas,omitempty"`
	LiftMinAreas int `json:"lift_min_areas,omitempty" yaml:"lift_min_areas,omitempty"`
}

// RegionFromRegistry returns the region with the given id from an indexed registry.
func RegionFromRegistry(reg *registry.Registry, id string) (Region, error) {
	a, ok := reg.Area(id)
	if !ok {
		return Region{}, fmt.Errorf("region %q is not a defined area", id)
	}
	if a.Kind != registry.Region || len(a.Members) == 0 {
		return Region{}, fmt.Errorf("area %q is a %s, not a region with members", id, a.Kind)
	}
	return Region{ID: a.ID, Members: slices.Clone(a.Members)}, nil
}

func (r Region) need(n int) int {
	if n <= 0 {
		n = DefaultMinAreas
	}
	return min(n, len(r.Members))
}

// RegionRecommendation is the regional recommendation and what it means for each member.
type RegionRecommendation struct {
	// Region is the regional recommendation; its Area is the region's id and its Assessment has
	// the regional level without findings (the members' recommendations hold those).
	Region Recommendation
	// Members are the members' recommendations, in the region's member order, with the regional
	// level applied: a member never stays below the regional warning, and a stricter local level
	// stands.
	Members []Recommendation
	// Missing lists members without a forecast; they count as meeting nothing.
	Missing []string
}

// RecommendRegion grades every member's forecast, issues a unified regional warning at the
// highest level that at least MinAreas members meet, and applies it to every member
// (昌州环发〔2019〕30号 item 22: every county starts its response at the regional level). current
// is the regional level in force, which is also what each member has in force. The regional warning is lifted when at
// least LiftMinAreas members meet the lift rule; a member then lifts too unless its own forecast
// still meets a level.
func (s Scheme) RecommendRegion(r Region, inputs []Input, current Level) (RegionRecommendation, error) {
	if r.ID == "" || len(r.Members) == 0 {
		return RegionRecommendation{}, errors.New("region needs an id and members")
	}
	if !current.Valid() {
		return RegionRecommendation{}, fmt.Errorf("region %s: current level %d is not a warning level", r.ID, int(current))
	}
	byArea := make(map[string]Input, len(inputs))
	for _, in := range inputs {
		if !slices.Contains(r.Members, in.Area) {
			return RegionRecommendation{}, fmt.Errorf("region %s: forecast for %q, which is not a member", r.ID, in.Area)
		}
		if _, dup := byArea[in.Area]; dup {
			return RegionRecommendation{}, fmt.Errorf("region %s: two forecasts for %s", r.ID, in.Area)
		}
		byArea[in.Area] = in
	}
	out := RegionRecommendation{}
	var own []Recommendation
	for _, m := range r.Members {
		in, ok := byArea[m]
		if !ok {
			out.Missing = append(out.Missing, m)
			continue
		}
		rec, err := s.Recommend(in, current)
		if err != nil {
			return RegionRecommendation{}, fmt.Errorf("region %s: %w", r.ID, err)
		}
		own = append(own, rec)
	}

	need, liftNeed := r.need(r.MinAreas), r.need(r.LiftMinAreas)
	regional, meeting := None, []string(nil)
	for l := Red; l > None; l-- {
		var at []string
		for _, rec := range own {
			if rec.Due.Level >= l {
				at = append(at, fmt.Sprintf("%s %s", rec.Area, rec.Due.Level))
			}
		}
		if len(at) >= need {
			regional, meeting = l, at
			break
		}
	}
	var lifted []string
	for _, rec := range own {
		if rec.Lift.Met && rec.Due.Level == None {
			lifted = append(lifted, rec.Area)
		}
	}
	lc := LiftCheck{Rule: s.Lift, Met: current > None && len(lifted) >= liftNeed}
	lc.Text = fmt.Sprintf("%d of %d members meet the lift rule %s (need %d)", len(lifted), len(r.Members), s.Lift, liftNeed)
	lc.TextZH = fmt.Sprintf("%d 个成员中 %d 个满足解除条件（%s，需 %d 个）", len(r.Members), len(lifted), s.Lift.chinese(), liftNeed)
	if len(lifted) > 0 {
		lc.Text += ": " + strings.Join(lifted, ", ")
		lc.TextZH += "：" + strings.Join(lifted, "、")
	}

	reg := Recommendation{Area: r.ID, Scheme: s.Name, Current: current, Lift: lc,
		Assessment: Assessment{Area: r.ID, Level: regional}, Due: Assessment{Area: r.ID, Level: regional}}
	reg.Action, reg.Level = decide(current, regional, lc.Met)
	var why, whyZH string
	if regional > None {
		why = fmt.Sprintf("%d of %d members meet %s or higher (need %d): %s", len(meeting), len(r.Members), regional, need, strings.Join(meeting, ", "))
		whyZH = fmt.Sprintf("%d 个成员中 %d 个达到%s及以上（需 %d 个）：%s", len(r.Members), len(meeting), regional.Chinese(), need, strings.Join(meeting, "、"))
	} else {
		why = fmt.Sprintf("fewer than %d of %d members meet any level", need, len(r.Members))
		whyZH = fmt.Sprintf("%d 个成员中达到预警条件的不足 %d 个", len(r.Members), need)
	}
	if len(out.Missing) > 0 {
		why += "; no forecast for " + strings.Join(out.Missing, ", ")
		whyZH += "；无预报：" + strings.Join(out.Missing, "、")
	}
	switch reg.Action {
	case Lift:
		reg.ReasonZH = "建议解除区域预警：" + lc.TextZH
	case Keep:
		reg.ReasonZH = fmt.Sprintf("维持区域%s：%s", reg.Level.Chinese(), whyZH)
	case NoAction:
		reg.ReasonZH = "无需区域预警：" + whyZH
	default:
		reg.ReasonZH = fmt.Sprintf("%s区域%s：%s", reg.Action.Chinese(), reg.Level.Chinese(), whyZH)
	}
	switch reg.Action {
	case Lift:
		reg.Reason = "lift regional warning: " + lc.Text
	case Keep:
		reg.Reason = fmt.Sprintf("keep regional %s: %s", reg.Level, why)
		if regional != reg.Level {
			reg.Reason += "; " + lc.Text
		}
	case NoAction:
		reg.Reason = "no regional warning: " + why
	default:
		reg.Reason = fmt.Sprintf("%s regional warning to %s: %s", reg.Action, reg.Level, why)
	}
	reg.Reduction, _ = s.Reduction(reg.Level)
	out.Region = reg

	for _, rec := range own {
		switch {
		case reg.Level > rec.Level:
			rec.Level, rec.Region = reg.Level, r.ID
			rec.Action = actionTo(current, rec.Level)
			rec.Reason = fmt.Sprintf("regional %s warning for %s applies (区域统一预警); own forecast: %s", reg.Level, r.ID, rec.Due.Reason())
			rec.ReasonZH = fmt.Sprintf("区域统一预警：%s 执行区域%s；本地预报：%s", r.ID, reg.Level.Chinese(), rec.Due.ReasonChinese())
		case reg.Action == Lift && rec.Action == Keep && rec.Due.Level == None:
			rec.Level, rec.Action = None, Lift
			rec.Reason = fmt.Sprintf("lift with the regional warning for %s: %s", r.ID, lc.Text)
			rec.ReasonZH = fmt.Sprintf("随区域 %s 预警一并解除：%s", r.ID, lc.TextZH)
		case rec.Level > reg.Level && reg.Level > None:
			rec.Reason += fmt.Sprintf(" (stricter than the regional %s warning for %s)", reg.Level, r.ID)
			rec.ReasonZH += fmt.Sprintf("（严于区域 %s 的%s）", r.ID, reg.Level.Chinese())
		}
		rec.Reduction, _ = s.Reduction(rec.Level)
		rec.Reduction = episodeReduction(rec.Episode, rec.Reduction)
		out.Members = append(out.Members, rec)
	}
	return out, nil
}
