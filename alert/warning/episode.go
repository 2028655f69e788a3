package warning

import (
	"fmt"
	"strings"
)

// Episode kinds. The 2024 guidance (环大气〔2024〕6号) and the local plans written under it answer
// pollution by its cause: the plans "不适用于沙尘天气" (e.g. 鹤岗市重污染天气应急预案 2024 §1.3),
// and 扬州 (2026) lists PM2.5, O3, VOCs/NOx, and 沙尘、山火 as causes met with "差异化应对措施".
// A sand-dust episode is not a heavy-pollution warning and cuts no industrial emissions: it is
// met with health advice and dust control. An ozone episode keeps its warning level and health
// advice, but the cuts of a winter PM episode (PM, SO2, NOx) do not lower ozone the same way;
// Lantian keeps only the VOCs ratio for it. That last point is Lantian's reading, not a rule
// found in a document (docs/warnings.md "Episode types").
const (
	EpisodePM       = "pm"
	EpisodeSandDust = "sand_dust"
	EpisodeO3       = "o3"
)

// episodeThreshold: the days that make an episode are those above the lowest warning
// threshold of the built-in schemes (AQI 150).
const episodeThreshold = 150

// episodeKind classifies the due episode by the forecast days above episodeThreshold within
// the lead: sand-dust when every such day is marked sand-dust, ozone when O3 is the primary
// pollutant of every such day, else a PM episode. No such day: "".
func episodeKind(in Input, lead int) string {
	n, dust, o3 := 0, 0, 0
	for i, d := range in.Days {
		if lead > 0 && i*24 >= lead {
			break
		}
		if d.AQI <= episodeThreshold {
			continue
		}
		n++
		if d.SandDust {
			dust++
		}
		if strings.EqualFold(d.Primary, "O3") || strings.HasPrefix(strings.ToUpper(d.Primary), "O3") {
			o3++
		}
	}
	switch {
	case n == 0:
		return ""
	case dust == n:
		return EpisodeSandDust
	case o3 == n:
		return EpisodeO3
	}
	return EpisodePM
}

// applyEpisode adjusts a recommendation to its episode kind.
func (s Scheme) applyEpisode(r *Recommendation, in Input) {
	r.Episode = episodeKind(in, s.LeadHours)
	switch r.Episode {
	case EpisodeSandDust:
		peak := r.Due.Level
		r.Due.Level = None
		r.Action, r.Level = decide(r.Current, None, r.Lift.Met)
		r.Advice = "沙尘天气：不启动重污染天气预警，不采取工业应急减排；发布健康防护提示（减少户外活动，儿童、老人和呼吸道疾病患者做好防护），加强道路和工地扬尘管控。"
		r.ReasonZH = fmt.Sprintf("沙尘天气过程（预报 AQI 达%s条件，但由沙尘造成）：%s", peak.Chinese(), r.Advice)
		if r.Action == Keep {
			r.ReasonZH += "在发布的预警按解除条件解除：" + r.Lift.TextZH
		}
		r.Reason = fmt.Sprintf("sand-dust episode (forecast meets %s, caused by sand and dust): no warning and no cuts, health advice instead; graded: %s", peak, r.Reason)
	case EpisodeO3:
		r.Advice = "臭氧污染：发布健康防护提示（午后减少户外活动），以挥发性有机物 (VOCs) 管控为主，错时作业。"
		r.ReasonZH = "臭氧污染过程：" + r.Advice + r.ReasonZH
		r.Reason = "ozone episode (VOCs cut only): " + r.Reason
	}
	r.Reduction = episodeReduction(r.Episode, r.Reduction)
}

// episodeReduction keeps the cuts that answer the episode's cause.
func episodeReduction(kind string, r Reduction) Reduction {
	switch kind {
	case EpisodeSandDust:
		return Reduction{Level: r.Level, Source: "沙尘天气不采取工业应急减排"}
	case EpisodeO3:
		return Reduction{Level: r.Level, VOCs: r.VOCs, Source: r.Source + "; O3 episode: VOCs only (Lantian's reading)"}
	}
	return r
}
