package mqtt

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
)

// LeaveGroup takes this member out of its shared subscription group before a clean stop, so
// that the stream does not keep queueing for a session that may never come back: Mosquitto 2
// goes on giving an offline member of a group its turn, and keeps those messages in the
// member's persistent session until the same client id connects again.
//
// It unsubscribes the group's filters (no new turns), then publishes a marker to a topic of
// its own and waits until the marker comes back while the messages keep being handled: the
// broker queues the marker behind everything already queued for this session, so when it
// arrives every message given to this member has been delivered to the handler. Without a
// shared group it does nothing.
func (c *Collector) LeaveGroup(ctx context.Context) error {
	if c.cfg.SharedGroup == "" || !c.client.IsConnectionOpen() {
		return nil
	}
	filters := make([]string, 0, len(c.filters))
	for f := range c.filters {
		filters = append(filters, f)
	}
	if err := wait(ctx, c.client.Unsubscribe(filters...)); err != nil {
		return fmt.Errorf("leave shared group %s: unsubscribe: %w", c.cfg.SharedGroup, err)
	}
	marker := c.cfg.TopicPrefix + "/_drain/" + c.cfg.ClientID
	token := strconv.FormatInt(time.Now().UnixNano(), 10)
	back := make(chan struct{})
	var once sync.Once
	if err := wait(ctx, c.client.Subscribe(marker, 1, func(_ paho.Client, m paho.Message) {
		m.Ack()
		if string(m.Payload()) == token {
			once.Do(func() { close(back) })
		}
	})); err != nil {
		return fmt.Errorf("leave shared group %s: subscribe %s: %w", c.cfg.SharedGroup, marker, err)
	}
	if err := wait(ctx, c.client.Publish(marker, 1, false, token)); err != nil {
		return fmt.Errorf("leave shared group %s: publish marker: %w", c.cfg.SharedGroup, err)
	}
	select {
	case <-back:
	case <-ctx.Done():
		return fmt.Errorf("leave shared group %s: the messages queued for this member were not all delivered before the deadline; they stay in its session: %w", c.cfg.SharedGroup, ctx.Err())
	}
	c.log.Info("left the shared subscription group; every message queued for this member was delivered", "group", c.cfg.SharedGroup)
	return wait(ctx, c.client.Unsubscribe(marker))
}

func wait(ctx context.Context, tok paho.Token) error {
	select {
	case <-tok.Done():
		return tok.Error()
	case <-ctx.Done():
		return errors.Join(ctx.Err(), tok.Error())
	}
}
