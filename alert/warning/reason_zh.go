package warning

import (
	"fmt"
	"strings"
)

// Chinese reasons: the office works in Chinese, so every recommendation also explains itself in
// Chinese (Recommendation.ReasonZH, LiftCheck.TextZH); the English Reason stays as the
// secondary label and for logs.

func (r LiftRule) chinese() string {
	return fmt.Sprintf("预报 AQI < %d 持续 %d 小时以上", r.Below, r.Hours)
}

func seriesZH(kind string) string {
	if kind == "hourly" {
		return "逐时滚动24小时"
	}
	return "逐日"
}

// Chinese is the span in Chinese.
func (sp Span) Chinese() string {
	op := ">"
	if sp.Term.OrEqual {
		op = "≥"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "AQI %s %d ", op, sp.Term.AQI)
	switch {
	case sp.Series == "daily" && sp.Values == 1:
		fmt.Fprintf(&b, "出现在 %s", sp.First)
	case sp.Series == "daily":
		fmt.Fprintf(&b, "连续 %d 天（%s 至 %s）", sp.Values, sp.First, sp.Last)
	case sp.Values == 1:
		fmt.Fprintf(&b, "出现在 %s（滚动24小时）", sp.First)
	default:
		fmt.Fprintf(&b, "持续 %d 小时（%s 至 %s，滚动24小时）", sp.Hours, sp.First, sp.Last)
	}
	fmt.Fprintf(&b, "，峰值 %d", sp.Peak)
	if sp.Observed > 0 {
		fmt.Fprintf(&b, "，其中实况 %d 天", sp.Observed)
	}
	return b.String()
}

// Chinese is the finding in Chinese: the level's condition met and where.
func (f Finding) Chinese() string {
	parts := make([]string, len(f.Spans))
	for i, sp := range f.Spans {
		parts[i] = sp.Chinese()
	}
	return fmt.Sprintf("达到%s条件（%s）：%s", f.Level.Chinese(), f.Clause, strings.Join(parts, "；"))
}

// ReasonChinese is Reason in Chinese.
func (a Assessment) ReasonChinese() string {
	if len(a.Findings) > 0 {
		return a.Findings[0].Chinese()
	}
	if a.PeakLabel == "" {
		return "未达到预警条件"
	}
	return fmt.Sprintf("未达到预警条件（预报 AQI 峰值 %d，%s）", a.Peak, a.PeakLabel)
}

// explainChinese is explain in Chinese.
func explainChinese(r Recommendation, lead int) string {
	a, due := r.Assessment, r.Due
	var b strings.Builder
	switch r.Action {
	case NoAction:
		b.WriteString("无需预警：" + due.ReasonChinese())
	case Issue:
		fmt.Fprintf(&b, "建议发布%s：%s", r.Level.Chinese(), due.ReasonChinese())
	case Upgrade:
		fmt.Fprintf(&b, "建议升级为%s：%s", r.Level.Chinese(), due.ReasonChinese())
	case Downgrade:
		fmt.Fprintf(&b, "建议降级为%s：%s", r.Level.Chinese(), due.ReasonChinese())
	case Keep:
		fmt.Fprintf(&b, "维持%s：%s", r.Level.Chinese(), due.ReasonChinese())
		if due.Level != r.Level {
			fmt.Fprintf(&b, "；%s", r.Lift.TextZH)
		}
	case Lift:
		b.WriteString("建议解除预警：" + r.Lift.TextZH)
	}
	if r.Lift.Met && r.Current > None && r.Action != Lift {
		fmt.Fprintf(&b, "；虽已满足解除条件，但 %d 小时内将有新一轮污染过程，预警延续不解除", lead)
	}
	if a.Level > due.Level && len(a.Findings) > 0 {
		f := a.Findings[0]
		fmt.Fprintf(&b, "；此后：%s 起的%s过程（%d 小时后，超出 %d 小时提前量，暂不发布）", f.Start, f.Level.Chinese(), f.StartsIn, lead)
	}
	return b.String()
}
