package service

import (
	"fmt"

	"lantian/ingest/history"
)

// historyGuard builds the append-only check of stored readings; its late lookups go through
// the service's query layer.
func (s *Service) historyGuard() (*history.Guard, error) {
	g, err := history.New(s.cfg.History, s.query, s.cfg.Ingest.MaxFuture, s.Registry, s.log.With("component", "history"))
	if err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	return g, nil
}
