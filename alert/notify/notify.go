// Package notify pushes alerts to Alertmanager through its v2 API (POST /api/v2/alerts).
//
// Alertmanager keeps an alert firing only while it is re-sent: an alert whose endsAt passes
// is resolved. The client therefore remembers every firing alert and re-sends it every
// ResendInterval with endsAt a few intervals ahead, as Prometheus does, so that alerts of a
// Lantian that died resolve by themselves instead of firing for ever. A resolved alert is
// sent once with its endsAt and forgotten.
package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Alert is one alert in the form of Alertmanager's v2 API.
type Alert struct {
	// Labels identify the alert (alertname, severity, source, …); two alerts with the same
	// labels are the same alert to Alertmanager. Empty values are dropped before sending,
	// since Alertmanager treats an empty label as absent.
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations,omitempty"`
	// StartsAt is when the condition began (zero: Alertmanager takes the receipt time).
	StartsAt time.Time `json:"startsAt,omitzero"`
	// EndsAt zero means firing until Resolve: the client re-sends the alert and keeps its
	// endsAt ahead of now. A non-zero EndsAt is sent as given, once: in the past it resolves
	// the alert, in the future it keeps the alert firing until then without re-sending.
	EndsAt       time.Time `json:"endsAt,omitzero"`
	GeneratorURL string    `json:"generatorURL,omitempty"`
}

// Notifier is what components need to raise and clear alerts; *Client implements it, Nop and
// Recorder stand in where Alertmanager is not configured or in tests. Calls never block.
type Notifier interface {
	// Notify queues alerts: firing ones (EndsAt zero) are remembered and re-sent until an
	// alert with the same labels and a non-zero EndsAt arrives.
	Notify(alerts ...Alert)
}

// Nop discards alerts (no Alertmanager configured).
type Nop struct{}

// Notify implements Notifier.
func (Nop) Notify(...Alert) {}

// Recorder keeps every alert it is given, for tests of components that raise alerts.
type Recorder struct {
	mu     sync.Mutex
	alerts []Alert
}

// Notify implements Notifier.
func (r *Recorder) Notify(alerts ...Alert) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, a := range alerts {
		r.alerts = append(r.alerts, a.clone())
	}
}

// Alerts returns a copy of what was recorded, in order.
func (r *Recorder) Alerts() []Alert {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.alerts)
}

// Config is the `alertmanager` section of the configuration: where alerts (source
// exceedances and data quality, warnings) are pushed through Alertmanager's v2 API. One
// Client built from it serves every component. Zero fields take the defaults noted.
type Config struct {
	// URLs are the base URLs of the Alertmanager instances (http://host:9093, or with a path
	// prefix when behind a proxy); every alert goes to each of them, as Alertmanager's own
	// clustering expects. Empty in the configuration disables pushing.
	URLs []string `yaml:"urls"`
	// Timeout bounds one POST (default 10 s).
	Timeout time.Duration `yaml:"timeout"`
	// ResendInterval is how often firing alerts are sent again (default 1 min). Keep it well
	// below Alertmanager's resolve_timeout (5 min by default). Alertmanager resolves an alert
	// that is not re-sent before its endsAt, which the client sets 4 intervals ahead.
	ResendInterval time.Duration `yaml:"resend_interval"`
	// MaxAttempts per POST and instance before the batch is given up (default 3);
	// RetryInterval is the first pause between attempts, doubled after each (default 1 s).
	MaxAttempts   int           `yaml:"max_attempts"`
	RetryInterval time.Duration `yaml:"retry_interval"`
	// QueueSize bounds the alerts waiting to be sent (default 1000). When it is full the
	// oldest queued alert is dropped and counted: firing alerts come back with the next
	// re-send anyway.
	QueueSize int `yaml:"queue_size"`
	// BasicAuth authenticates to every instance with HTTP basic auth (the password from a
	// file, never inline). A password in a URL's user info works too, but a file keeps it out
	// of the config; either way it never appears in logs, labels or printed configs.
	BasicAuth BasicAuth `yaml:"basic_auth"`
	// BearerTokenFile holds a token sent as "Authorization: Bearer …", read again for every
	// request so that a rotated token is picked up.
	BearerTokenFile string `yaml:"bearer_token_file"`
	// GeneratorURL is put in the generatorURL of every alert that has none (e.g. Lantian's
	// console or a Grafana dashboard), so that a notification links back; empty leaves it out.
	GeneratorURL string `yaml:"generator_url"`
	// BatchSize is the most alerts per POST (default 100).
	BatchSize int `yaml:"-"`
	// Component is the const label "component" of the client's metrics, so that more than one
	// client can share a registry (default "lantian").
	Component string `yaml:"-"`
	// HTTPClient is used for the requests (default: a client of its own).
	HTTPClient *http.Client `yaml:"-"`
}

// BasicAuth is HTTP basic authentication with the password in a file.
type BasicAuth struct {
	Username     string `yaml:"username"`
	PasswordFile string `yaml:"password_file"`
}

// Redact returns u with any password in its user info replaced, for logs, metric labels and
// errors.
func Redact(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		if strings.Contains(u, "@") {
			return "[unparsable url]"
		}
		return u
	}
	return p.Redacted()
}

// DefaultConfig is the section's defaults: no Alertmanager, and the client's defaults for
// when one is configured.
func DefaultConfig() Config {
	return Config{
		Timeout:        10 * time.Second,
		ResendInterval: time.Minute,
		MaxAttempts:    3,
		RetryInterval:  time.Second,
		QueueSize:      1000,
	}
}

// Validate reports every problem of the section, naming the keys as they are written under
// alertmanager. Unlike New it accepts no URLs (pushing off) and zero values are errors.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	for i, u := range c.URLs {
		if err := CheckURL(u); err != nil {
			bad("alertmanager.urls[%d]: %w", i, err)
		}
	}
	if c.Timeout <= 0 || c.ResendInterval <= 0 || c.RetryInterval <= 0 {
		bad("alertmanager.timeout, resend_interval and retry_interval must be positive")
	}
	if c.MaxAttempts < 1 || c.MaxAttempts > 100 {
		bad("alertmanager.max_attempts %d must be between 1 and 100", c.MaxAttempts)
	}
	if c.QueueSize < 1 {
		bad("alertmanager.queue_size %d must be at least 1", c.QueueSize)
	}
	if c.GeneratorURL != "" {
		if err := CheckURL(c.GeneratorURL); err != nil {
			bad("alertmanager.generator_url: %w", err)
		}
	}
	if (c.BasicAuth.Username == "") != (c.BasicAuth.PasswordFile == "") {
		bad("alertmanager.basic_auth needs both username and password_file")
	}
	if c.BasicAuth.Username != "" && c.BearerTokenFile != "" {
		bad("alertmanager: give basic_auth or bearer_token_file, not both")
	}
	for key, f := range map[string]string{"basic_auth.password_file": c.BasicAuth.PasswordFile, "bearer_token_file": c.BearerTokenFile} {
		if f == "" {
			continue
		}
		if _, err := readSecret(f); err != nil {
			bad("alertmanager.%s: %w", key, err)
		}
	}
	return errors.Join(errs...)
}

func (c Config) withDefaults() (Config, error) {
	if len(c.URLs) == 0 {
		return c, errors.New("notify: no Alertmanager URL")
	}
	for _, u := range c.URLs {
		if err := CheckURL(u); err != nil {
			return c, err
		}
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.Timeout, 10*time.Second)
	def(&c.ResendInterval, time.Minute)
	def(&c.RetryInterval, time.Second)
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 3
	}
	if c.QueueSize <= 0 {
		c.QueueSize = 1000
	}
	if c.BatchSize <= 0 {
		c.BatchSize = 100
	}
	if c.Component == "" {
		c.Component = "lantian"
	}
	return c, nil
}

// CheckURL reports whether u can serve as an Alertmanager base URL.
func CheckURL(u string) error {
	p, err := url.Parse(u)
	u = Redact(u)
	switch {
	case err != nil:
		// url.Parse's error quotes the whole URL, password included.
		return fmt.Errorf("alertmanager url %q: does not parse", u)
	case p.Scheme != "http" && p.Scheme != "https":
		return fmt.Errorf("alertmanager url %q: scheme must be http or https", u)
	case p.Host == "":
		return fmt.Errorf("alertmanager url %q: no host", u)
	case p.RawQuery != "" || p.Fragment != "":
		return fmt.Errorf("alertmanager url %q: give the base URL without query or fragment", u)
	}
	return nil
}

// endpoint is the v2 alerts URL under a base URL.
func endpoint(base string) string {
	return strings.TrimRight(base, "/") + "/api/v2/alerts"
}

// Client sends alerts to Alertmanager. Notify is safe for concurrent use; Run does the sending.
type Client struct {
	cfg  Config
	http *http.Client
	log  *slog.Logger
	m    *metrics
	now  func() time.Time

	mu     sync.Mutex
	queue  []Alert          // waiting to be sent, oldest first
	firing map[string]Alert // by fingerprint: re-sent every ResendInterval
	wake   chan struct{}
}

type metrics struct {
	sent, errors *prometheus.CounterVec
	dropped      *prometheus.CounterVec
}

// New builds a client and registers its metrics on reg (nil: not registered).
func New(cfg Config, reg prometheus.Registerer, log *slog.Logger) (*Client, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	}
	c := &Client{
		cfg: cfg, http: hc, log: log, now: time.Now,
		firing: make(map[string]Alert), wake: make(chan struct{}, 1),
	}
	labels := prometheus.Labels{"component": cfg.Component}
	c.m = &metrics{
		sent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lantian_alertmanager_alerts_sent_total", ConstLabels: labels,
			Help: "Alerts accepted by an Alertmanager instance (re-sends included); url without its password.",
		}, []string{"url"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lantian_alertmanager_errors_total", ConstLabels: labels,
			Help: "Failed POSTs to an Alertmanager instance, each attempt counted.",
		}, []string{"url"}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lantian_alertmanager_alerts_dropped_total", ConstLabels: labels,
			Help: "Alerts not delivered: queue_full (queue overflow), undeliverable (all attempts failed), invalid (bad labels).",
		}, []string{"reason"}),
	}
	if reg != nil {
		queued := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "lantian_alertmanager_queue_length", ConstLabels: labels,
			Help: "Alerts waiting to be sent.",
		}, func() float64 { c.mu.Lock(); defer c.mu.Unlock(); return float64(len(c.queue)) })
		firing := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "lantian_alertmanager_firing_alerts", ConstLabels: labels,
			Help: "Firing alerts the client re-sends.",
		}, func() float64 { c.mu.Lock(); defer c.mu.Unlock(); return float64(len(c.firing)) })
		for _, col := range []prometheus.Collector{c.m.sent, c.m.errors, c.m.dropped, queued, firing} {
			if err := reg.Register(col); err != nil {
				return nil, fmt.Errorf("notify: register metrics: %w", err)
			}
		}
	}
	return c, nil
}

var labelName = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

// Validate checks what Alertmanager would refuse: no labels, bad label names, endsAt before
// startsAt.
func (a Alert) Validate() error {
	n := 0
	for k, v := range a.Labels {
		if !labelName.MatchString(k) {
			return fmt.Errorf("label name %q is not valid", k)
		}
		if v != "" {
			n++
		}
	}
	if n == 0 {
		return errors.New("alert has no labels")
	}
	if !a.EndsAt.IsZero() && !a.StartsAt.IsZero() && a.EndsAt.Before(a.StartsAt) {
		return fmt.Errorf("endsAt %s is before startsAt %s", a.EndsAt.Format(time.RFC3339), a.StartsAt.Format(time.RFC3339))
	}
	return nil
}

// Fingerprint identifies an alert by its non-empty labels.
func (a Alert) Fingerprint() string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(a.Labels)) {
		if v := a.Labels[k]; v != "" {
			b.WriteString(k)
			b.WriteByte(0xff)
			b.WriteString(v)
			b.WriteByte(0xfe)
		}
	}
	return b.String()
}

func (a Alert) clone() Alert {
	a.Labels = maps.Clone(a.Labels)
	a.Annotations = maps.Clone(a.Annotations)
	return a
}

// Notify implements Notifier. Invalid alerts are logged and counted, not sent.
func (c *Client) Notify(alerts ...Alert) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, a := range alerts {
		if err := a.Validate(); err != nil {
			c.m.dropped.WithLabelValues("invalid").Inc()
			c.log.Warn("alert not sent", "labels", a.Labels, "err", err)
			continue
		}
		a = a.clone()
		if a.GeneratorURL == "" {
			a.GeneratorURL = c.cfg.GeneratorURL
		}
		for k, v := range a.Labels {
			if v == "" {
				delete(a.Labels, k)
			}
		}
		fp := a.Fingerprint()
		if a.EndsAt.IsZero() {
			c.firing[fp] = a
		} else {
			delete(c.firing, fp)
		}
		if len(c.queue) >= c.cfg.QueueSize {
			c.queue = c.queue[1:]
			c.m.dropped.WithLabelValues("queue_full").Inc()
		}
		c.queue = append(c.queue, a)
	}
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// Firing returns the alerts the client currently re-sends, for status pages and tests.
func (c *Client) Firing() []Alert {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]Alert, 0, len(c.firing))
	for _, fp := range slices.Sorted(maps.Keys(c.firing)) {
		out = append(out, c.firing[fp].clone())
	}
	return out
}

// Run sends queued alerts as they come and re-sends firing ones every ResendInterval, until
// ctx is cancelled; it then makes one last attempt, bounded by Timeout, to deliver what is
// queued (resolutions from a component's final flush), and returns.
func (c *Client) Run(ctx context.Context) error {
	tick := time.NewTicker(c.cfg.ResendInterval)
	defer tick.Stop()
	defer func() {
		if t, ok := c.http.Transport.(interface{ CloseIdleConnections() }); ok {
			t.CloseIdleConnections()
		}
	}()
	for {
		select {
		case <-ctx.Done():
			final, cancel := context.WithTimeout(context.Background(), c.cfg.Timeout)
			defer cancel()
			c.send(final, c.take(false), 1)
			return ctx.Err()
		case <-c.wake:
			if ctx.Err() == nil {
				c.send(ctx, c.take(false), c.cfg.MaxAttempts)
			}
		case <-tick.C:
			if ctx.Err() == nil {
				c.send(ctx, c.take(true), c.cfg.MaxAttempts)
			}
		}
	}
}

// take empties the queue; with resend it adds every firing alert not already queued.
// Firing alerts get endsAt = now + 4 re-send intervals: Alertmanager then resolves them by
// itself if Lantian stops re-sending (a crash), and one or two lost re-sends do no harm.
func (c *Client) take(resend bool) []Alert {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.queue
	c.queue = nil
	if resend {
		queued := make(map[string]bool, len(out))
		for _, a := range out {
			queued[a.Fingerprint()] = true
		}
		for _, fp := range slices.Sorted(maps.Keys(c.firing)) {
			if !queued[fp] {
				out = append(out, c.firing[fp])
			}
		}
	}
	until := c.now().Add(4 * c.cfg.ResendInterval)
	for i := range out {
		if out[i].EndsAt.IsZero() {
			out[i] = out[i].clone()
			out[i].EndsAt = until
		}
	}
	return out
}

// send posts alerts in batches to every instance concurrently, so that one instance down does
// not delay the others. Batches cut short by ctx (shutdown) go back to the queue for Run's
// final attempt instead of being lost.
func (c *Client) send(ctx context.Context, alerts []Alert, attempts int) {
	if len(alerts) == 0 {
		return
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	requeue := make(map[string]Alert)
	for _, base := range c.cfg.URLs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for batch := range slices.Chunk(alerts, c.cfg.BatchSize) {
				err := c.post(ctx, base, batch, attempts)
				switch {
				case err == nil:
				case ctx.Err() != nil:
					mu.Lock()
					for _, a := range batch {
						requeue[a.Fingerprint()] = a
					}
					mu.Unlock()
				default:
					c.m.dropped.WithLabelValues("undeliverable").Add(float64(len(batch)))
					c.log.Warn("alerts not delivered to Alertmanager", "url", Redact(base), "alerts", len(batch), "err", err)
				}
			}
		}()
	}
	wg.Wait()
	if len(requeue) == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	var back []Alert
	for _, a := range alerts {
		if _, ok := requeue[a.Fingerprint()]; ok {
			back = append(back, a)
			delete(requeue, a.Fingerprint())
		}
	}
	c.queue = append(back, c.queue...)
	if n := len(c.queue) - c.cfg.QueueSize; n > 0 {
		c.queue = c.queue[n:]
		c.m.dropped.WithLabelValues("queue_full").Add(float64(n))
	}
}

// errPermanent marks answers that a retry cannot change (400: Alertmanager refused the alerts).
var errPermanent = errors.New("refused")

func (c *Client) post(ctx context.Context, base string, batch []Alert, attempts int) error {
	body, err := json.Marshal(batch)
	if err != nil {
		return fmt.Errorf("encode alerts: %w", err)
	}
	pause := c.cfg.RetryInterval
	for i := 1; ; i++ {
		err = c.postOnce(ctx, base, body)
		if err == nil {
			c.m.sent.WithLabelValues(Redact(base)).Add(float64(len(batch)))
			return nil
		}
		c.m.errors.WithLabelValues(Redact(base)).Inc()
		if errors.Is(err, errPermanent) || i >= attempts || ctx.Err() != nil {
			return fmt.Errorf("after %d attempt(s): %w", i, err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("after %d attempt(s): %w", i, err)
		case <-time.After(pause):
		}
		pause *= 2
	}
}

func (c *Client) postOnce(ctx context.Context, base string, body []byte) error {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint(base), bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%w: %w", errPermanent, err)
	}
	req.Header.Set("Content-Type", "application/json")
	if err := c.authorize(req); err != nil {
		return err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		// net/http's error names the URL without its password.
		return fmt.Errorf("post: %w", err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	switch {
	case resp.StatusCode/100 == 2:
		return nil
	case resp.StatusCode == http.StatusBadRequest || resp.StatusCode == http.StatusUnprocessableEntity:
		return fmt.Errorf("%w: %s: %s", errPermanent, resp.Status, bytes.TrimSpace(msg))
	}
	return fmt.Errorf("post to %s: %s: %s", Redact(endpoint(base)), resp.Status, bytes.TrimSpace(msg))
}

// authorize sets the configured credentials; the files are read for every request so that
// rotated secrets are picked up without a restart.
func (c *Client) authorize(req *http.Request) error {
	switch {
	case c.cfg.BasicAuth.Username != "":
		pw, err := readSecret(c.cfg.BasicAuth.PasswordFile)
		if err != nil {
			return fmt.Errorf("alertmanager basic_auth.password_file: %w", err)
		}
		req.SetBasicAuth(c.cfg.BasicAuth.Username, pw)
	case c.cfg.BearerTokenFile != "":
		tok, err := readSecret(c.cfg.BearerTokenFile)
		if err != nil {
			return fmt.Errorf("alertmanager bearer_token_file: %w", err)
		}
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	return nil
}

func readSecret(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	v := strings.TrimSpace(string(b))
	if v == "" {
		return "", fmt.Errorf("%s is empty", path)
	}
	return v, nil
}

// SentCounter is the counter of alerts accepted by the instance at url (as configured).
func (c *Client) SentCounter(url string) prometheus.Counter {
	return c.m.sent.WithLabelValues(Redact(url))
}

// DroppedCounter is the counter of alerts dropped for reason: queue_full, undeliverable or invalid.
func (c *Client) DroppedCounter(reason string) prometheus.Counter {
	return c.m.dropped.WithLabelValues(reason)
}
