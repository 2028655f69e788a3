package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"sort"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// scrape fetches and parses a Prometheus text exposition.
func scrape(ctx context.Context, url string) (map[string]*dto.MetricFamily, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("scrape %s: %w", url, err)
	}
	// Ask for the text format: the parser below reads only that.
	req.Header.Set("Accept", "text/plain; version=0.0.4")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("scrape %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return nil, fmt.Errorf("scrape %s: %s: %s", url, resp.Status, b)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("scrape %s: parse: %w", url, err)
	}
	return fams, nil
}

// counterSum is the sum of a counter family over all its label sets (0 when absent).
func counterSum(fams map[string]*dto.MetricFamily, name string) float64 {
	f, ok := fams[name]
	if !ok {
		return 0
	}
	var s float64
	for _, m := range f.GetMetric() {
		switch {
		case m.GetCounter() != nil:
			s += m.GetCounter().GetValue()
		case m.GetGauge() != nil:
			s += m.GetGauge().GetValue()
		case m.GetUntyped() != nil:
			s += m.GetUntyped().GetValue()
		}
	}
	return s
}

// hist is a cumulative histogram: counts[i] observations ≤ bounds[i]; count includes +Inf.
type hist struct {
	bounds []float64
	counts []float64
	count  float64
}

// histogramOf reads a (label-less) histogram family; empty when absent.
func histogramOf(fams map[string]*dto.MetricFamily, name string) hist {
	var h hist
	f, ok := fams[name]
	if !ok || len(f.GetMetric()) == 0 || f.GetMetric()[0].GetHistogram() == nil {
		return h
	}
	ph := f.GetMetric()[0].GetHistogram()
	for _, b := range ph.GetBucket() {
		if math.IsInf(b.GetUpperBound(), +1) {
			continue
		}
		h.bounds = append(h.bounds, b.GetUpperBound())
		h.counts = append(h.counts, float64(b.GetCumulativeCount()))
	}
	h.count = float64(ph.GetSampleCount())
	return h
}

// sub is h minus an earlier scrape of the same histogram.
func (h hist) sub(before hist) hist {
	d := hist{bounds: h.bounds, counts: make([]float64, len(h.counts)), count: h.count - before.count}
	for i := range h.counts {
		d.counts[i] = h.counts[i]
		if i < len(before.counts) {
			d.counts[i] -= before.counts[i]
		}
	}
	return d
}

// quantileEstimate is a quantile read from histogram buckets: the bucket (lo, hi] holding it
// and a linear interpolation inside that bucket, as Prometheus' histogram_quantile does.
// Above the last finite bound, hi is +Inf and the estimate is lo.
type quantileEstimate struct {
	q, est, lo, hi float64
	ok             bool
}

func (h hist) quantile(q float64) quantileEstimate {
	e := quantileEstimate{q: q}
	if h.count <= 0 || len(h.bounds) == 0 {
		return e
	}
	rank := q * h.count
	i := sort.Search(len(h.counts), func(i int) bool { return h.counts[i] >= rank })
	e.ok = true
	if i == len(h.counts) {
		e.lo, e.hi, e.est = h.bounds[len(h.bounds)-1], math.Inf(+1), h.bounds[len(h.bounds)-1]
		return e
	}
	lo, below := 0.0, 0.0
	if i > 0 {
		lo, below = h.bounds[i-1], h.counts[i-1]
	}
	e.lo, e.hi = lo, h.bounds[i]
	in := h.counts[i] - below
	if in <= 0 {
		e.est = e.hi
		return e
	}
	e.est = lo + (e.hi-lo)*(rank-below)/in
	return e
}
