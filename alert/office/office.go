// Package office is the heavy-pollution warning office of `lantian run` (重污染天气应急办): it takes
// air-quality forecasts, keeps recommending a warning level per area and region with package
// alert/warning, and lets the emergency office issue, change and lift warnings through an HTTP
// API and server-rendered pages. An issued warning is stored with its audit trail (bbolt),
// published retained on MQTT for county bureaus and enterprises, written to InfluxDB as an
// event and pushed to Alertmanager. See docs/warnings.md.
package office

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"lantian/alert/aqi"
	"lantian/alert/warning"
	"lantian/ingest/registry"
)

// Sink makes an InfluxDB line durable and then calls done (ingest/influx.Writer).
type Sink interface {
	Submit(ctx context.Context, line []byte, done func(error))
}

// Publisher publishes a retained QoS 1 message and returns once the broker acknowledged it.
type Publisher interface {
	Publish(ctx context.Context, topic string, payload []byte) error
}

// Alert is an alert in the shape of Alertmanager's v2 API; the service hands it to its
// Alertmanager client.
type Alert struct {
	// Labels identify the alert: two alerts with the same labels are the same alert.
	Labels      map[string]string
	Annotations map[string]string
	StartsAt    time.Time
	// EndsAt zero means firing until an alert with the same labels and a non-zero EndsAt
	// resolves it.
	EndsAt time.Time
}

// Notifier raises and clears alerts; Notify must not block.
type Notifier interface {
	Notify(alerts ...Alert)
}

// NopNotifier discards alerts (no Alertmanager configured).
type NopNotifier struct{}

// Notify implements Notifier.
func (NopNotifier) Notify(...Alert) {}

// ObservedSource gives the observed daily AQI of an area for the dates from..to (inclusive),
// oldest first; days without a value are left out.
type ObservedSource interface {
	ObservedDays(ctx context.Context, area string, from, to aqi.Date) ([]warning.DayAQI, error)
}

// Options wire an Office. Registry, Store, Sink and Publisher are required.
type Options struct {
	Scheme   warning.Scheme
	Regions  []warning.Region
	Registry *registry.Registry
	Location *time.Location
	Store    *Store
	Sink     Sink
	// Publisher sends the retained messages on <TopicPrefix>/warnings/<area>.
	Publisher   Publisher
	TopicPrefix string
	// Notifier pushes alerts to Alertmanager (NopNotifier when none is configured).
	Notifier Notifier
	// Observed, if set, adds observed daily AQI before the forecast.
	Observed ObservedSource
	// Emissions, if set, gives the outlet hours the compliance table is computed from.
	Emissions EmissionSource
	// IdleFlow gives an outlet's idle flow (m³/h; source monitoring's idle thresholds): an
	// hour at or below it counts as stopped. Nil: 0.
	IdleFlow func(source, outlet string) float64
	// Compliance configures the periodic compliance check (defaults when zero).
	Compliance ComplianceConfig
	Tokens     []Token
	// SessionTTL is how long a console login lasts (default 12 h).
	SessionTTL time.Duration
	// RecomputeInterval is the period of the recommendation runner (default 10 min).
	RecomputeInterval time.Duration
	// MaxFuture is the clock skew allowed on forecast issue times (default 10 min).
	MaxFuture  time.Duration
	Registerer prometheus.Registerer
	Log        *slog.Logger
	// Now is the clock (tests); default time.Now.
	Now func() time.Time
}

// Office is safe for concurrent use.
type Office struct {
	opts  Options
	check ForecastChecker
	m     *metrics
	auth  *authenticator

	mu        sync.Mutex
	forecasts map[string]Forecast
	recs      map[string]AreaRecommendation
	recAlerts map[string]warning.Level // recommendation alert firing per area
	pending   map[string]bool          // areas whose retained message the broker has not acknowledged
	// compAlerts are the EmergencyReductionNotMet alerts firing, by alertKey.
	compAlerts map[string]Alert
	cm         *complianceMetrics

	// runMu serialises recommendation runs so their gauges, points and alerts do not interleave.
	runMu sync.Mutex
	kick  chan struct{}
}

// New builds an Office; Run starts its loop.
func New(opts Options) (*Office, error) {
	if opts.Registry == nil || opts.Store == nil || opts.Sink == nil || opts.Publisher == nil {
		return nil, errors.New("office: registry, store, sink and publisher are required")
	}
	if len(opts.Scheme.Rules) == 0 {
		opts.Scheme = warning.Scheme2024()
	}
	if err := opts.Scheme.Validate(); err != nil {
		return nil, fmt.Errorf("office: %w", err)
	}
	if opts.Location == nil {
		opts.Location = time.UTC
	}
	if opts.Notifier == nil {
		opts.Notifier = NopNotifier{}
	}
	if opts.SessionTTL <= 0 {
		opts.SessionTTL = 12 * time.Hour
	}
	if opts.RecomputeInterval <= 0 {
		opts.RecomputeInterval = 10 * time.Minute
	}
	if opts.MaxFuture <= 0 {
		opts.MaxFuture = 10 * time.Minute
	}
	if opts.TopicPrefix == "" {
		opts.TopicPrefix = "lantian"
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	auth, err := newAuthenticator(opts.Tokens, opts.SessionTTL, opts.Now)
	if err != nil {
		return nil, err
	}
	o := &Office{
		opts:       opts,
		check:      ForecastChecker{Registry: opts.Registry, Location: opts.Location, MaxFuture: opts.MaxFuture},
		auth:       auth,
		forecasts:  map[string]Forecast{},
		recs:       map[string]AreaRecommendation{},
		recAlerts:  map[string]warning.Level{},
		pending:    map[string]bool{},
		kick:       make(chan struct{}, 1),
		compAlerts: map[string]Alert{},
		cm:         newComplianceMetrics(),
	}
	if opts.Compliance.Interval <= 0 {
		o.opts.Compliance.Interval = DefaultComplianceConfig().Interval
	}
	if opts.Compliance.BaselineDays <= 0 {
		o.opts.Compliance.BaselineDays = DefaultComplianceConfig().BaselineDays
	}
	o.m, err = newMetrics(opts.Registerer, o)
	if err != nil {
		return nil, err
	}
	if len(opts.Tokens) == 0 {
		opts.Log.Warn("warnings.tokens is empty: the warning API and console refuse everyone")
	}
	return o, nil
}

// now is the clock in the configured zone, so that every time the office stores, answers or
// publishes is written with the zone's offset (RFC 3339 with +08:00 in Changji).
func (o *Office) now() time.Time { return o.opts.Now().In(o.opts.Location) }

// Run restores the effects of the stored warnings (retained messages, alerts, gauges), then
// re-evaluates recommendations every RecomputeInterval or when kicked, and retries retained
// messages the broker has not acknowledged, until ctx is cancelled.
func (o *Office) Run(ctx context.Context) error {
	ws, err := o.opts.Store.List(false)
	if err != nil {
		return err
	}
	// The broker may have lost its retained messages, and Alertmanager forgets alerts that are
	// not re-sent; both are re-derived from the store, which is the record.
	var areas []string
	for _, w := range ws {
		areas = append(areas, w.Areas...)
		o.alertWarning(nil, &w)
	}
	o.publishAreas(ctx, areas, nil)
	o.setIssuedGauges()
	o.recompute(ctx)

	retry := time.NewTicker(5 * time.Second)
	defer retry.Stop()
	every := time.NewTicker(o.opts.RecomputeInterval)
	defer every.Stop()
	comp := time.NewTicker(o.opts.Compliance.Interval)
	defer comp.Stop()
	o.checkCompliance(ctx)
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-o.kick:
			o.recompute(ctx)
		case <-every.C:
			o.recompute(ctx)
		case <-comp.C:
			o.checkCompliance(ctx)
		case <-retry.C:
			o.mu.Lock()
			p := slices.Sorted(maps.Keys(o.pending))
			o.mu.Unlock()
			if len(p) > 0 {
				o.publishAreas(ctx, p, nil)
			}
		}
	}
}

// Kick asks the loop to re-evaluate recommendations soon.
func (o *Office) Kick() {
	select {
	case o.kick <- struct{}{}:
	default:
	}
}

// HandleForecast is the route of <prefix>/forecast/<area>: it validates the forecast, makes it
// durable in InfluxDB, keeps it as the area's latest and re-evaluates the recommendations. A
// *reading.Rejection means bad input; other errors mean it was not stored.
func (o *Office) HandleForecast(ctx context.Context, area string, payload []byte) error {
	_, err := o.TakeForecast(ctx, area, payload)
	return err
}

// TakeForecast is HandleForecast returning the forecast (the HTTP API answers with it).
func (o *Office) TakeForecast(ctx context.Context, area string, payload []byte) (Forecast, error) {
	f, err := o.check.Decode(area, payload, o.now())
	if err != nil {
		o.m.forecasts.WithLabelValues("rejected").Inc()
		return Forecast{}, err
	}
	if err := o.submitAll(ctx, f.lines(o.opts.Location)); err != nil {
		o.m.forecasts.WithLabelValues("failed").Inc()
		return Forecast{}, fmt.Errorf("store forecast for %s: %w", f.Area, err)
	}
	o.m.forecasts.WithLabelValues("accepted").Inc()
	o.mu.Lock()
	// A forecast delivered late (redelivery, replay) must not replace a newer one.
	if old, ok := o.forecasts[f.Area]; !ok || !f.Issued.Before(old.Issued) {
		o.forecasts[f.Area] = f
	}
	o.mu.Unlock()
	o.recompute(ctx)
	return f, nil
}

// Forecasts returns the latest forecast of every area.
func (o *Office) Forecasts() []Forecast {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := make([]Forecast, 0, len(o.forecasts))
	for _, k := range slices.Sorted(maps.Keys(o.forecasts)) {
		out = append(out, o.forecasts[k])
	}
	return out
}

// submitAll submits lines and waits until all are durable.
func (o *Office) submitAll(ctx context.Context, lines [][]byte) error {
	if len(lines) == 0 {
		return nil
	}
	errs := make(chan error, len(lines))
	for _, l := range lines {
		o.opts.Sink.Submit(ctx, l, func(err error) { errs <- err })
	}
	var first error
	for range lines {
		select {
		case err := <-errs:
			if err != nil && first == nil {
				first = err
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return first
}

// areaName is the registry's name of an area, or its id.
func (o *Office) areaName(id string) string {
	if a, ok := o.opts.Registry.Area(id); ok && a.Name != "" {
		return a.Name
	}
	return id
}
