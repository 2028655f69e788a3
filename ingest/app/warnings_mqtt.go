package app

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"lantian/ingest/config"
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
	opts := paho.NewClientOptions().
		AddBroker(cfg.URL).
		SetClientID(cfg.ClientID + "-warnings").
		SetCleanSession(false).
		SetAutoReconnect(true).
		SetMaxReconnectInterval(cfg.MaxReconnect).
		SetConnectRetry(true).
		SetConnectRetryInterval(time.Second).
		SetKeepAlive(cfg.KeepAlive).
		SetPingTimeout(10 * time.Second).
		SetWriteTimeout(10 * time.Second).
		SetConnectTimeout(10 * time.Second).
		SetOnConnectHandler(func(paho.Client) { log.Info("warning publisher connected", "broker", cfg.URL) }).
		SetConnectionLostHandler(func(_ paho.Client, err error) {
			log.Warn("warning publisher lost the MQTT connection; reconnecting", "broker", cfg.URL, "err", err)
		})
	if cfg.Username != "" {
		opts.SetUsername(cfg.Username)
		opts.SetPassword(cfg.Password.Reveal())
	}
	tlsCfg, err := publisherTLS(cfg.TLS)
	if err != nil {
		return nil, err
	}
	if tlsCfg != nil {
		opts.SetTLSConfig(tlsCfg)
	}
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

// publisherTLS mirrors the collector's TLS settings (mqtt.tls).
func publisherTLS(t config.TLS) (*tls.Config, error) {
	if t.CAFile == "" && t.CertFile == "" && !t.InsecureSkipVerify {
		return nil, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: t.InsecureSkipVerify} //nolint:gosec // operator's explicit choice
	if t.CAFile != "" {
		pem, err := os.ReadFile(t.CAFile)
		if err != nil {
			return nil, fmt.Errorf("mqtt.tls.ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, errors.New("mqtt.tls.ca_file " + t.CAFile + ": no PEM certificates")
		}
		cfg.RootCAs = pool
	}
	if t.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("mqtt.tls client certificate: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}
