package service

import (
	"context"
	"fmt"
	"log/slog"

	paho "github.com/eclipse/paho.mqtt.golang"

	"lantian/ingest/mqtt"
	"lantian/service/config"
)

// warningPublisher publishes the retained warning messages on its own MQTT session, so that a
// slow or refused publish never holds up the collector's session and its acknowledgements.
type warningPublisher struct {
	client paho.Client
	log    *slog.Logger
	url    string
}

// newWarningPublisher builds the session: the collector's broker settings, client id
// <mqtt.client_id>-warnings (stable, so the broker keeps its session and in-flight QoS 1
// messages across reconnects).
func newWarningPublisher(cfg config.MQTT, log *slog.Logger) (*warningPublisher, error) {
	p := &warningPublisher{log: log, url: cfg.URL}
	opts, err := mqtt.SessionOptions(cfg, cfg.ClientID+"-warnings")
	if err != nil {
		return nil, err
	}
	opts.SetOnConnectHandler(func(paho.Client) { log.Info("warning publisher connected", "broker", cfg.URL) }).
		SetConnectionLostHandler(func(_ paho.Client, err error) {
			log.Warn("warning publisher lost the MQTT connection; reconnecting", "broker", cfg.URL, "err", err)
		})
	p.client = paho.NewClient(opts)
	return p, nil
}

// Start begins connecting and returns at once; publishes wait for the connection.
func (p *warningPublisher) Start() { p.client.Connect() }

// Stop disconnects, giving in-flight publishes a moment.
func (p *warningPublisher) Stop() { p.client.Disconnect(500) }

// Publish sends a retained QoS 1 message and waits for the broker's PUBACK.
func (p *warningPublisher) Publish(ctx context.Context, topic string, payload []byte) error {
	tok := p.client.Publish(topic, 1, true, payload)
	select {
	case <-tok.Done():
		if err := tok.Error(); err != nil {
			return fmt.Errorf("publish %s: %w", topic, err)
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("publish %s: not acknowledged: %w", topic, ctx.Err())
	}
}
