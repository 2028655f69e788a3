// Package broker runs an embedded MQTT broker (mochi-mqtt) on a loopback port, for the demo
// and for tests that need a broker in the same process. Production uses Mosquitto.
package broker

import (
	"fmt"
	"log/slog"
	"net"

	mochi "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/hooks/auth"
	"github.com/mochi-mqtt/server/v2/listeners"
	"github.com/mochi-mqtt/server/v2/packets"
)

// Broker is a running embedded broker.
type Broker struct {
	srv *mochi.Server
	// URL is the broker's address for clients, e.g. tcp://127.0.0.1:41883.
	URL string
}

// Start starts a broker that allows every client, on addr ("127.0.0.1:0" picks a free port).
func Start(addr string, log *slog.Logger) (*Broker, error) {
	caps := mochi.NewDefaultServerCapabilities()
	// Lantian holds messages un-acknowledged until its batch is durable: allow a deep window
	// so the broker does not throttle it to a few messages per flush.
	caps.MaximumInflight = 10000
	caps.ReceiveMaximum = 10000
	caps.MaximumClientWritesPending = 1 << 16
	srv := mochi.New(&mochi.Options{InlineClient: true, Capabilities: caps, Logger: log})
	if err := srv.AddHook(new(auth.AllowHook), nil); err != nil {
		return nil, fmt.Errorf("broker auth hook: %w", err)
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("broker listen on %s: %w", addr, err)
	}
	bound := l.Addr().String()
	l.Close()
	tcp := listeners.NewTCP(listeners.Config{ID: "tcp", Address: bound})
	if err := srv.AddListener(tcp); err != nil {
		return nil, fmt.Errorf("broker listener: %w", err)
	}
	if err := srv.Serve(); err != nil {
		return nil, fmt.Errorf("start broker: %w", err)
	}
	return &Broker{srv: srv, URL: "tcp://" + bound}, nil
}

// Publish publishes a message from the broker itself.
func (b *Broker) Publish(topic string, payload []byte, retain bool, qos byte) error {
	if err := b.srv.Publish(topic, payload, retain, qos); err != nil {
		return fmt.Errorf("broker publish %s: %w", topic, err)
	}
	return nil
}

// Subscribe calls fn with the topic and payload of every message matching filter, from the
// broker's inline client (the demo's simulated enterprises listen to the warnings this way).
func (b *Broker) Subscribe(filter string, id int, fn func(topic string, payload []byte)) error {
	if err := b.srv.Subscribe(filter, id, func(_ *mochi.Client, _ packets.Subscription, pk packets.Packet) {
		fn(pk.TopicName, pk.Payload)
	}); err != nil {
		return fmt.Errorf("broker subscribe %s: %w", filter, err)
	}
	return nil
}

// Close stops the broker and disconnects its clients.
func (b *Broker) Close() error {
	if err := b.srv.Close(); err != nil {
		return fmt.Errorf("stop broker: %w", err)
	}
	return nil
}
