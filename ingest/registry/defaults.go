package registry

// DefaultAreas are the areas named by the Changji plan (昌州环发〔2019〕30号, its targets table and
// "(三)重点区域范围"): seven counties/cities, the two parks of the key area, the Zhundong
// zone, and the 乌-昌-石 key area as a region.
func DefaultAreas() []Area {
	return []Area{
		{ID: "changji", Name: "昌吉市", Kind: County},
		{ID: "fukang", Name: "阜康市", Kind: County},
		{ID: "hutubi", Name: "呼图壁县", Kind: County},
		{ID: "manas", Name: "玛纳斯县", Kind: County},
		{ID: "jimsar", Name: "吉木萨尔县", Kind: County},
		{ID: "qitai", Name: "奇台县", Kind: County},
		{ID: "mori", Name: "木垒县", Kind: County},
		{ID: "changji-hitech", Name: "昌吉国家高新技术开发区", Kind: Park},
		{ID: "changji-agri", Name: "昌吉国家农业科技园区", Kind: Park},
		{ID: "zhundong", Name: "新疆准东经济技术开发区", Kind: Park},
		{ID: "wcs", Name: "乌-昌-石区域(昌吉州部分)", Kind: Region,
			Members: []string{"changji", "fukang", "manas", "hutubi", "changji-hitech", "changji-agri"}},
	}
}

// DefaultTargets is the plan's targets table (昌州环发〔2019〕30号 "自治州7县市空气质量改善目标
// 一览表"). PM2.5 in µg/m³, good-day ratios in %. 木垒 has no 2020 ratio: the plan says 保持
// (keep), so its 2017 ratio is the floor.
func DefaultTargets() []Target {
	f := func(v float64) *float64 { return &v }
	return []Target{
		{Area: "changji", BaseYear: 2015, BasePM25: f(45), BaseGood: f(81.5), PM25In17: 67, GoodIn17: 70.7, PM25Goal: 36, GoodGoal: f(83.5)},
		{Area: "fukang", BaseYear: 2015, BasePM25: f(40), BaseGood: f(75.8), PM25In17: 63, GoodIn17: 75, PM25Goal: 39, GoodGoal: f(80)},
		{Area: "hutubi", BaseYear: 2017, PM25In17: 67, GoodIn17: 71, PM25Goal: 54, GoodGoal: f(80)},
		{Area: "manas", BaseYear: 2017, PM25In17: 59, GoodIn17: 76, PM25Goal: 50, GoodGoal: f(80)},
		{Area: "jimsar", BaseYear: 2017, PM25In17: 42, GoodIn17: 83.6, PM25Goal: 42, GoodGoal: f(83.6)},
		{Area: "qitai", BaseYear: 2017, PM25In17: 35, GoodIn17: 85.5, PM25Goal: 35, GoodGoal: f(85.5)},
		{Area: "mori", BaseYear: 2017, PM25In17: 18, GoodIn17: 99.2, PM25Goal: 18},
	}
}

// GoodGoalOrFloor is the good-day ratio an area must reach by 2020: the stated target, or for
// 保持 (keep) the 2017 ratio.
func (t Target) GoodGoalOrFloor() float64 {
	if t.GoodGoal != nil {
		return *t.GoodGoal
	}
	return t.GoodIn17
}
