package service

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"lantian/service/config"
)

// httpServer is an HTTP server with every timeout set: a slow or idle client cannot hold a
// connection (or a goroutine) for long. Long-polling is not used, so the write timeout can be
// tight enough to bound a stalled reader.
func (s *Service) httpServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           s.secureCookies(h),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
}

// secureCookies marks every cookie Secure on requests that reached users over HTTPS: always
// with http.secure_cookies, else when a trusted proxy says X-Forwarded-Proto: https.
func (s *Service) secureCookies(h http.Handler) http.Handler {
	var proxies []netip.Prefix
	for _, p := range s.cfg.HTTP.TrustedProxies {
		if pr, err := config.ParseProxy(p); err == nil {
			proxies = append(proxies, pr)
		}
	}
	always := s.cfg.HTTP.SecureCookies
	if !always && len(proxies) == 0 {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if always || r.TLS != nil || fromTrustedHTTPS(r, proxies) {
			w = &secureCookieWriter{ResponseWriter: w}
		}
		h.ServeHTTP(w, r)
	})
}

func fromTrustedHTTPS(r *http.Request, proxies []netip.Prefix) bool {
	if !strings.EqualFold(strings.TrimSpace(r.Header.Get("X-Forwarded-Proto")), "https") {
		return false
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	for _, p := range proxies {
		if p.Contains(a.Unmap()) {
			return true
		}
	}
	return false
}

// secureCookieWriter adds "; Secure" to the Set-Cookie headers before they are sent.
type secureCookieWriter struct {
	http.ResponseWriter
	done bool
}

func (w *secureCookieWriter) fix() {
	if w.done {
		return
	}
	w.done = true
	cookies := w.Header()["Set-Cookie"]
	for i, c := range cookies {
		if !strings.Contains(strings.ToLower(c), "; secure") {
			cookies[i] = c + "; Secure"
		}
	}
}

func (w *secureCookieWriter) WriteHeader(code int) { w.fix(); w.ResponseWriter.WriteHeader(code) }

func (w *secureCookieWriter) Write(b []byte) (int, error) { w.fix(); return w.ResponseWriter.Write(b) }

// Unwrap lets http.ResponseController reach the connection.
func (w *secureCookieWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// serveMetrics serves /metrics, /healthz and /readyz on http.metrics_addr until ctx ends.
func (s *Service) serveMetrics(ctx context.Context) error {
	mux := http.NewServeMux()
	s.opsRoutes(mux)
	srv := s.httpServer(mux)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(s.metricsListener) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(shutdownCtx)
	<-served
	return nil
}
