package service

import (
	"context"
	"fmt"
	"time"

	"lantian/ingest/history"
)

// historyGuard builds the append-only check of stored readings and fills its cache with the
// readings stored in the last history.recent; its late lookups go through the query layer.
func (s *Service) historyGuard() (*history.Guard, error) {
	g, err := history.New(s.cfg.History, s.query, s.cfg.Ingest.MaxFuture, s.Registry, s.log.With("component", "history"))
	if err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.Influx.Timeout)
	defer cancel()
	start := time.Now()
	n, err := g.Preload(ctx, s.query)
	if err != nil {
		s.log.Warn("cannot preload the append-only check from InfluxDB; readings stamped before now are looked up one by one",
			"err", err)
	} else {
		s.log.Info("append-only check preloaded", "readings", n, "window", s.cfg.History.Recent, "took", time.Since(start))
	}
	return g, nil
}
