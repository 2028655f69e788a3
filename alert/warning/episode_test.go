package warning

import (
	"strings"
	"testing"
)

// TestEpisodeKinds: a spring sand-dust day at AQI 500 is met with health advice, not a
// warning with emission cuts; the same day without the mark is a yellow warning (2024 scheme);
// an ozone episode keeps its level with the VOCs cut only; a PM episode is unchanged.
func TestEpisodeKinds(t *testing.T) {
	mark := func(days []DayAQI, primary string, dust bool) []DayAQI {
		for i := range days {
			if days[i].AQI > episodeThreshold {
				days[i].Primary, days[i].SandDust = primary, dust
			}
		}
		return days
	}
	s := Scheme2024()
	cases := []struct {
		name    string
		days    []DayAQI
		current Level
		action  Action
		level   Level
		episode string
		so2     int
		vocs    int
		reason  string
	}{
		{"sand-dust day at 500", mark(padded(500), "PM10", true), None, NoAction, None, EpisodeSandDust, 0, 0, "沙尘天气过程"},
		{"the same day without the mark", mark(padded(500), "PM10", false), None, Issue, Yellow, EpisodePM, 10, 10, "issue to yellow"},
		{"two sand-dust days above 200", mark(padded(320, 260), "PM10", true), None, NoAction, None, EpisodeSandDust, 0, 0, "健康防护"},
		{"sand dust while a warning is in force: kept until the lift rule", mark(padded(320, 260), "PM10", true), Orange, Keep, Orange, EpisodeSandDust, 0, 0, "沙尘"},
		{"one sand-dust day in a PM episode", func() []DayAQI {
			d := mark(padded(230, 230), "PM2.5", false)
			d[1].Primary, d[1].SandDust = "PM10", true
			return d
		}(), None, Issue, Orange, EpisodePM, 20, 20, "issue to orange"},
		{"ozone episode", mark(padded(210, 210), "O3_8h", false), None, Issue, Orange, EpisodeO3, 0, 20, "臭氧污染过程"},
		{"clean", padded(80, 90), None, NoAction, None, "", 0, 0, "no warning"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := s.Recommend(Input{Area: "changji", Days: c.days}, c.current)
			if err != nil {
				t.Fatal(err)
			}
			if r.Action != c.action || r.Level != c.level || r.Episode != c.episode || r.Reduction.SO2 != c.so2 || r.Reduction.VOCs != c.vocs ||
				!strings.Contains(r.Reason+" | "+r.ReasonZH, c.reason) {
				t.Errorf("got %s %s episode %q so2 %d vocs %d reason %q", r.Action, r.Level, r.Episode, r.Reduction.SO2, r.Reduction.VOCs, r.Reason)
			}
			if r.ReasonZH == "" || (c.action == Issue && !strings.Contains(r.ReasonZH, "建议发布"+c.level.Chinese())) {
				t.Errorf("Chinese reason %q", r.ReasonZH)
			}
			if c.episode == EpisodeSandDust && (r.Due.Level != None || !strings.Contains(r.Advice, "不启动重污染天气预警")) {
				t.Errorf("sand dust: due %s advice %q", r.Due.Level, r.Advice)
			}
		})
	}
}

// TestChineseReasons: the office reads the reasons in Chinese.
func TestChineseReasons(t *testing.T) {
	s := Scheme2024()
	r, err := s.Recommend(Input{Area: "changji", Days: padded(230, 260)}, None)
	if err != nil {
		t.Fatal(err)
	}
	if want := "建议发布橙色预警：达到橙色预警条件（AQI > 200 for ≥ 48 h）：AQI > 200 连续 2 天"; !strings.HasPrefix(r.ReasonZH, want) {
		t.Errorf("issue: %q, want prefix %q", r.ReasonZH, want)
	}
	r, err = s.Recommend(Input{Area: "changji", Days: padded(230)[1:]}, Orange)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(r.Lift.TextZH, "未满足解除条件（预报 AQI < 150 持续 36 小时以上）") || !strings.HasPrefix(r.ReasonZH, "建议降级为黄色预警") {
		t.Errorf("keep: %q / %q", r.ReasonZH, r.Lift.TextZH)
	}
	r, err = s.Recommend(Input{Area: "changji", Days: []DayAQI{{Date: day0, AQI: 90}, {Date: day0.AddDays(1), AQI: 80}}}, Orange)
	if err != nil {
		t.Fatal(err)
	}
	if r.Action != Lift || !strings.HasPrefix(r.ReasonZH, "建议解除预警：已满足解除条件") {
		t.Errorf("lift: %s %q", r.Action, r.ReasonZH)
	}
}
