package service

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"lantian/ingest/hj212"
	"lantian/ingest/lograte"
	"lantian/ingest/pipeline"
	"lantian/ingest/reading"
	"lantian/service/config"
)

// hj212Devices maps each MN of the registry to its station or outlet, with the installation's
// password and unit settings.
func hj212Devices(cfg *config.Config) hj212.StaticRegistry {
	devs := hj212.StaticRegistry{}
	for _, s := range cfg.Stations {
		if s.MN != "" {
			devs[s.MN] = hj212.Device{MN: s.MN, Station: s.ID}
		}
	}
	for _, src := range cfg.Sources {
		for _, o := range src.Outlets {
			if o.MN != "" {
				devs[o.MN] = hj212.Device{MN: o.MN, Source: src.ID, Outlet: o.ID}
			}
		}
	}
	for _, d := range cfg.HJ212.AllDevices() {
		dev := devs[d.MN]
		dev.Password, dev.FlowUnit, dev.PressureUnit = d.Password.Reveal(), d.FlowUnit, d.PressureUnit
		dev.NoPassword = d.NoPassword
		devs[d.MN] = dev
	}
	return devs
}

// gatewayConfig is the gateway's configuration from the hj212 section.
func (s *Service) gatewayConfig(devices hj212.Registry) hj212.ServerConfig {
	c := s.cfg.HJ212
	return hj212.ServerConfig{
		MaxConns: c.MaxConnections, MaxConnsPerIP: c.MaxConnectionsPerIP, MaxBadFrames: c.MaxBadFrames,
		MaxPacket: int(c.MaxPacketBytes), IdleTimeout: c.IdleTimeout, Location: s.cfg.Location(),
		Registry: devices, Sink: s.gatewaySink(), Logger: s.log.With("component", "hj212"),
		Metrics: s.Registry, LogLimiter: s.logLimit(),
	}
}

// logLimit is the one limiter of warnings about bad input, shared by the MQTT pipeline and
// the HJ 212 gateway.
func (s *Service) logLimit() *lograte.Limiter {
	if s.badInputLog == nil {
		s.badInputLog = lograte.New(s.log, 10*time.Second)
	}
	return s.badInputLog
}

// gatewaySink connects the HJ 212 gateway to the pipeline: the gateway replies 9014 only
// after Store returned nil, that is once the readings are durable.
type gatewaySink struct {
	p *pipeline.Pipeline
}

func (g gatewaySink) Store(ctx context.Context, rs []reading.Reading) error {
	err := g.p.StoreWait(ctx, rs)
	var rej *reading.Rejection
	if errors.As(err, &rej) {
		// Invalid for good: the gateway keeps it as a dead letter and still answers, so the
		// logger does not resend data that can never be accepted.
		return fmt.Errorf("%w: %w", hj212.ErrRefused, err)
	}
	return err
}

func (g gatewaySink) DeadLetter(origin string, raw []byte, reason error) {
	kind, remote, _ := strings.Cut(origin, " ")
	var rej *reading.Rejection
	if !errors.As(reason, &rej) {
		reason = &reading.Rejection{Reason: reading.ReasonHJ212, Err: reason}
	}
	// The remote address goes where MQTT dead letters keep their topic.
	_ = g.p.Refuse(kind, remote, raw, reason)
}
