package mqtt

import (
	"context"
	"fmt"
	"log/slog"

	paho "github.com/eclipse/paho.mqtt.golang"
)

// Forwarder publishes messages at QoS 1, not retained, on a session of its own and waits for
// each PUBACK: an ingest instance's HJ 212 gateway puts the readings of TCP loggers on the
// broker with it, so that the shared group stores them and the derive instance sees them.
type Forwarder struct {
	client paho.Client
}

// NewForwarder builds the session under clientID (stable, distinct from the collector's).
func NewForwarder(cfg Config, clientID string, log *slog.Logger) (*Forwarder, error) {
	opts, err := SessionOptions(cfg, clientID)
	if err != nil {
		return nil, err
	}
	opts.SetConnectionLostHandler(func(_ paho.Client, err error) {
		log.Warn("gateway forwarder lost the MQTT connection; reconnecting", "broker", cfg.URL, "err", err)
	})
	return &Forwarder{client: paho.NewClient(opts)}, nil
}

// Start begins connecting and returns at once; publishes wait for the connection.
func (f *Forwarder) Start() { f.client.Connect() }

// Stop disconnects, giving in-flight publishes a moment.
func (f *Forwarder) Stop() { f.client.Disconnect(500) }

// Publish sends payload at QoS 1 and returns once the broker has acknowledged it.
func (f *Forwarder) Publish(ctx context.Context, topic string, payload []byte) error {
	tok := f.client.Publish(topic, 1, false, payload)
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
