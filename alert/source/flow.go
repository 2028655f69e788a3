package source

import (
	"fmt"
	"math"
)

// RuleFlowImplausible is the flow plausibility rule: the gas velocity implied by the hourly
// flow and the stack's cross-section is impossible (docs/sources.md).
const RuleFlowImplausible Rule = "flow_implausible"

// GasVelocity is the mean gas velocity in m/s of a flow in m³/h through a stack of diameter
// d metres: flow / 3600 / (π d² / 4). The flow is standard-state dry gas, so the velocity in
// the stack (hot, wet) is higher, typically by 1.3–2×; the plausible range is wide enough for
// that (docs/sources.md).
func GasVelocity(flowM3h, diameterM float64) float64 {
	a := math.Pi * diameterM * diameterM / 4
	if a <= 0 {
		return math.NaN()
	}
	return flowM3h / 3600 / a
}

// unitFactors are the unit mistakes a flow can carry: m³/s taken for m³/h (or the reverse)
// and m³/min. HJ 212-2017's a00000 is m³/s; most analysers and many loggers show m³/h.
var unitFactors = []struct {
	factor float64
	what   string
}{
	{3600, "m³/s ↔ m³/h (×3600)"},
	{60, "m³/min ↔ m³/h (×60)"},
}

// flowUnitHint names the likely unit error of an implausible velocity v (m/s), or says none
// fits.
func (c Config) flowUnitHint(v float64) string {
	q := c.Quality
	plausible := func(x float64) bool { return x >= q.FlowVelocityMinMS && x <= q.FlowVelocityMaxMS }
	for _, u := range unitFactors {
		if v > q.FlowVelocityMaxMS && plausible(v/u.factor) {
			return fmt.Sprintf("疑似单位错误 likely unit error %s: 流量约大 %g 倍 flow about %g× too high (a00000 是 m³/s，设备配置为 m³/h 时被重复换算 / a00000 is m³/s: a device sending m³/h was converted again)",
				u.what, u.factor, u.factor)
		}
		if v < q.FlowVelocityMinMS && plausible(v*u.factor) {
			return fmt.Sprintf("疑似单位错误 likely unit error %s: 流量约小 %g 倍 flow about %g× too low (m³/s 未换算为 m³/h / m³/s stored as m³/h without conversion)",
				u.what, u.factor, u.factor)
		}
	}
	return "无单一单位换算可解释，请核对烟道直径与流量计 no single unit factor explains it: check the stack diameter and the flow meter"
}

// flowImplausible runs the flow plausibility rule on the hours of one outlet's day: a run of
// at least FlowVelocityHours hours whose valid hourly flow implies a velocity above the
// maximum, or below the minimum while a pollutant is above its idle concentration (the plant
// runs, so the flow cannot be that small; a stopped plant may show any small flow).
func (c *Checker) flowImplausible(k OutletKey, n int, valid func(int, string) (FieldStat, bool), polls []string,
	add func(Rule, string, int, int, float64, string)) {
	q := c.cfg.Quality
	d := c.cfg.DiameterByOutlet[k]
	if d <= 0 || q.FlowVelocityHours <= 0 {
		return
	}
	idle := c.cfg.IdleFor(k)
	producing := func(i int) bool {
		for _, p := range polls {
			lim, has := idle.Conc[p]
			if s, ok := valid(i, p); ok && has && s.Mean > lim {
				return true
			}
		}
		return false
	}
	velocity := func(i int) (float64, bool) {
		f, ok := valid(i, FieldFlow)
		if !ok || f.Mean <= q.FlowZeroM3h { // zero flow is flow_zero_conc's business
			return 0, false
		}
		return GasVelocity(f.Mean, d), true
	}
	for _, high := range []bool{true, false} {
		cond := func(i int) bool {
			v, ok := velocity(i)
			if !ok {
				return false
			}
			if high {
				return v > q.FlowVelocityMaxMS
			}
			return v < q.FlowVelocityMinMS && producing(i)
		}
		for _, r := range runs(n, cond, q.FlowVelocityHours) {
			// The key value is the median-free simple mean of the run's velocities.
			sum := 0.0
			for i := r[0]; i < r[1]; i++ {
				v, _ := velocity(i)
				sum += v
			}
			v := sum / float64(r[1]-r[0])
			add(RuleFlowImplausible, FieldFlow, r[0], r[1], v,
				fmt.Sprintf("流量折算烟气流速 %.3g m/s，超出合理范围 %g–%g m/s（烟道直径 %g m，%d 小时）gas velocity %.3g m/s from flow and a %g m stack is outside %g–%g m/s for %d hours; %s",
					v, q.FlowVelocityMinMS, q.FlowVelocityMaxMS, d, r[1]-r[0], v, d, q.FlowVelocityMinMS, q.FlowVelocityMaxMS, r[1]-r[0], c.cfg.flowUnitHint(v)))
		}
	}
}
