package public

import "lantian/alert/aqi"

// Advice is one row of HJ 633's category table (表 2 空气质量指数及相关信息): the health effects
// and the measures recommended to the public.
type Advice struct {
	Effects, Measures string
}

// adviceTable is HJ 633-2012 Table 2 (columns "对健康影响情况" and "建议采取的措施"), indexed by
// level. HJ 633-2026 Table 2 keeps the texts and renames two groups ("儿童" becomes "青少年儿童",
// "心脏病" becomes "心血管系统疾病"); adviceTable2026 applies that change.
var adviceTable = [7]Advice{
	1: {"空气质量令人满意，基本无空气污染", "各类人群可正常活动"},
	2: {"空气质量可接受，但某些污染物可能对极少数异常敏感人群健康有较弱影响", "极少数异常敏感人群应减少户外活动"},
	3: {"易感人群症状有轻度加剧，健康人群出现刺激症状", "儿童、老年人及心脏病、呼吸系统疾病患者应减少长时间、高强度的户外锻炼"},
	4: {"进一步加剧易感人群症状，可能对健康人群心脏、呼吸系统有影响", "儿童、老年人及心脏病、呼吸系统疾病患者避免长时间、高强度的户外锻炼，一般人群适量减少户外运动"},
	5: {"心脏病和肺病患者症状显著加剧，运动耐受力降低，健康人群普遍出现症状", "儿童、老年人和心脏病、肺病患者应停留在室内，停止户外运动，一般人群减少户外运动"},
	6: {"健康人群运动耐受力降低，有明显强烈症状，提前出现某些疾病", "儿童、老年人和病人应当留在室内，避免体力消耗，一般人群应避免户外活动"},
}

// AdviceFor is the category-table row of a level under the given edition; the zero Advice for
// no level.
func AdviceFor(r aqi.Rules, l aqi.Level) Advice {
	if l < 1 || l > 6 {
		return Advice{}
	}
	a := adviceTable[l]
	if r == aqi.Rules2026 {
		a.Effects = rename2026(a.Effects)
		a.Measures = rename2026(a.Measures)
	}
	return a
}
