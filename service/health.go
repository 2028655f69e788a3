package service

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	"lantian/ingest/conf"
)

// pingEvery bounds how often /readyz pings InfluxDB: probes every second from several
// checkers cost one ping, and a stale answer is at most this old.
const pingEvery = 2 * time.Second

// health holds the last InfluxDB ping, so that /readyz reports what InfluxDB answers now
// rather than how the last write went (with no readings arriving there may be no write for
// hours, and a refused connection would go unnoticed).
type health struct {
	mu  sync.Mutex
	at  time.Time
	ok  bool
	err string
}

// influxReachable pings InfluxDB unless a ping is fresh; the failure reason is logged at most
// once per change.
func (s *Service) influxReachable(ctx context.Context) (bool, string) {
	h := &s.health
	h.mu.Lock()
	defer h.mu.Unlock()
	if time.Since(h.at) < pingEvery {
		return h.ok, h.err
	}
	pctx, cancel := context.WithTimeout(ctx, pingEvery)
	defer cancel()
	ok, err := s.influx.Ping(pctx)
	was, wasErr := h.ok, h.err
	h.at, h.ok, h.err = time.Now(), ok && err == nil, ""
	if !h.ok {
		h.err = "ping failed"
		if err != nil {
			h.err = err.Error()
		}
		if was || wasErr == "" || wasErr != h.err {
			s.log.Warn("InfluxDB does not answer its ping", "influx", conf.RedactURL(s.cfg.Influx.URL), "err", h.err)
		}
	} else if !was && wasErr != "" {
		s.log.Info("InfluxDB answers its ping again", "influx", conf.RedactURL(s.cfg.Influx.URL))
	}
	return h.ok, h.err
}

// readiness is the body of /readyz: ready says whether the service takes data now (broker
// connected, and InfluxDB reachable or the spool with room); the rest says what each part
// reports, from a real check.
func (s *Service) readiness(ctx context.Context) (int, map[string]any) {
	ok, why := s.Ready()
	pingOK, pingErr := s.influxReachable(ctx)
	writeOK, writeErr := s.writer.Healthy()
	influxErr := pingErr
	if influxErr == "" && !writeOK {
		influxErr = "last write failed: " + writeErr
	}
	if !pingOK && float64(s.spool.Bytes()) >= s.cfg.Spool.AlarmRatio*float64(s.spool.MaxBytes()) && ok {
		ok, why = false, append(why, fmt.Sprintf("InfluxDB unreachable (%s) and spool past its alarm ratio", pingErr))
	}
	status := http.StatusOK
	if !ok {
		status = http.StatusServiceUnavailable
	}
	if why == nil {
		why = []string{}
	}
	return status, map[string]any{
		"ready":          ok,
		"problems":       why,
		"mqtt_connected": s.collector.Connected(),
		"influx_ok":      pingOK && writeOK,
		"influx_ping_ok": pingOK,
		"influx_error":   influxErr,
		"spool_batches":  s.spool.Len(),
		"spool_bytes":    s.spool.Bytes(),
	}
}
