package mqtt

import (
	"context"
	"fmt"
	"lantian/ingest/conf"
	"log/slog"

	paho "github.com/eclipse/paho.mqtt.golang"
)

// Publisher publishes retained messages (the warning office's) on its own MQTT session, so
// that a slow or refused publish never holds up the collector's session and its
// acknowledgements.
type Publisher struct {
	client paho.Client
}

// NewPublisher builds the session with the collector's broker settings under clientID, which
// must be stable (the broker then keeps its session and in-flight QoS 1 messages across
// reconnects) and differ from the collector's (the service uses <mqtt.client_id>-warnings).
func NewPublisher(cfg Config, clientID string, log *slog.Logger) (*Publisher, error) {
	opts, err := SessionOptions(cfg, clientID)
	if err != nil {
		return nil, err
	}
	opts.SetOnConnectHandler(func(paho.Client) { log.Info("warning publisher connected", "broker", conf.RedactURL(cfg.URL)) }).
		SetConnectionLostHandler(func(_ paho.Client, err error) {
			log.Warn("warning publisher lost the MQTT connection; reconnecting", "broker", conf.RedactURL(cfg.URL), "err", err)
		})
	return &Publisher{client: paho.NewClient(opts)}, nil
}

// Start begins connecting and returns at once; publishes wait for the connection.
func (p *Publisher) Start() { p.client.Connect() }

// Stop disconnects, giving in-flight publishes a moment.
func (p *Publisher) Stop() { p.client.Disconnect(500) }

// Publish sends a retained QoS 1 message and waits for the broker's PUBACK.
func (p *Publisher) Publish(ctx context.Context, topic string, payload []byte) error {
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
