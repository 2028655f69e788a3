package public

import (
	"strings"
	"testing"
	"time"

	"lantian/alert/aqi"
	"lantian/ingest/registry"
)

// TestAdviceTable checks HJ 633 Table 2's rows by level and the 2026 renaming of the groups.
func TestAdviceTable(t *testing.T) {
	for _, tt := range []struct {
		rules             aqi.Rules
		level             aqi.Level
		effects, measures string
	}{
		{aqi.Rules2012, 1, "空气质量令人满意，基本无空气污染", "各类人群可正常活动"},
		{aqi.Rules2012, 3, "易感人群症状有轻度加剧，健康人群出现刺激症状", "儿童、老年人及心脏病、呼吸系统疾病患者应减少长时间、高强度的户外锻炼"},
		{aqi.Rules2026, 3, "易感人群症状有轻度加剧，健康人群出现刺激症状", "青少年儿童、老年人及心血管系统疾病、呼吸系统疾病患者应减少长时间、高强度的户外锻炼"},
		{aqi.Rules2012, 6, "健康人群运动耐受力降低，有明显强烈症状，提前出现某些疾病", "儿童、老年人和病人应当留在室内，避免体力消耗，一般人群应避免户外活动"},
		{aqi.Rules2026, 0, "", ""},
	} {
		a := AdviceFor(tt.rules, tt.level)
		if a.Effects != tt.effects || a.Measures != tt.measures {
			t.Errorf("%v level %d: %+v", tt.rules, tt.level, a)
		}
	}
}

func conc(t *testing.T, s string) aqi.Sample {
	t.Helper()
	c, err := aqi.ParseConc(s)
	if err != nil {
		t.Fatal(err)
	}
	return aqi.Val(c)
}

// TestBuildCountyMeanStaleAndMicro: the county is the mean of the assessment stations of its
// latest hour; a station older than max_age is "暂无数据"; micro-stations are left out unless
// configured and never enter the county mean.
func TestBuildCountyMeanStaleAndMicro(t *testing.T) {
	reg := &registry.Registry{Areas: registry.DefaultAreas(), Stations: []registry.Station{
		{ID: "a", Name: "甲", Area: "changji", Class: registry.National},
		{ID: "b", Name: "乙", Area: "changji", Class: registry.Provincial},
		{ID: "m", Name: "微", Area: "changji", Class: registry.Micro},
		{ID: "f", Name: "阜", Area: "fukang", Class: registry.National},
	}}
	if err := reg.Index(); err != nil {
		t.Fatal(err)
	}
	loc, _ := time.LoadLocation("Asia/Shanghai")
	now := time.Date(2026, 12, 8, 10, 20, 0, 0, loc)
	h := now.Truncate(time.Hour)
	hour := func(id string, at time.Time, pm25 string) StationHour {
		var v aqi.HourValues
		v[aqi.PM25] = conc(t, pm25)
		v[aqi.PM10] = conc(t, "50")
		v[aqi.SO2] = conc(t, "5")
		v[aqi.NO2] = conc(t, "20")
		v[aqi.CO] = conc(t, "0.5")
		v[aqi.O3] = conc(t, "40")
		return StationHour{Station: id, Time: at, Values: v}
	}
	hours := []StationHour{hour("a", h, "160"), hour("b", h, "140"), hour("m", h, "500"), hour("f", h.Add(-4*time.Hour), "10")}
	p := Build(Config{}, reg, hours, nil, now, loc)
	byID := map[string]Row{}
	for _, r := range append(p.Counties, p.Stations...) {
		byID[r.ID] = r
	}
	if c := byID["changji"]; !c.HasAQI || c.AQI != 200 || c.Category != "中度污染" || c.Primary != "PM2.5" || c.Colour != "#FF0000" {
		t.Errorf("changji %+v", c)
	}
	if _, ok := byID["m"]; ok {
		t.Error("micro-station shown by default")
	}
	if f := byID["f"]; f.HasAQI || f.Category != "暂无数据" {
		t.Errorf("stale fukang station %+v", f)
	}
	if !strings.HasSuffix(p.DataTime, "+08:00") || p.DataTime != h.Format(time.RFC3339) {
		t.Errorf("data time %q", p.DataTime)
	}
	p = Build(Config{ShowMicroStations: true}, reg, hours, nil, now, loc)
	found := false
	for _, r := range p.Stations {
		if r.ID == "m" {
			found = r.Micro && r.AQI == 500
		}
	}
	if !found {
		t.Error("show_micro_stations: micro-station missing or wrong")
	}
}
