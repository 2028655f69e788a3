package public

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"strconv"
	"time"
)

//go:embed page.html
var pageHTML string

var pageTmpl = template.Must(template.New("public").Parse(pageHTML))

// Render writes the page as HTML.
func (p Page) Render() ([]byte, error) {
	var b bytes.Buffer
	if err := pageTmpl.Execute(&b, p); err != nil {
		return nil, fmt.Errorf("render public page: %w", err)
	}
	return b.Bytes(), nil
}

// Handler serves the page, built afresh by build on each request that the cache does not
// absorb: Cache-Control lets browsers and a front proxy keep it for cfg.CacheSeconds, and an
// ETag answers a revalidation with 304 when nothing changed.
func Handler(cfg Config, build func(now time.Time) Page, log *slog.Logger) http.Handler {
	cfg = cfg.WithDefaults()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if cfg.Disabled {
			http.NotFound(w, r)
			return
		}
		p := build(time.Now())
		// The generation time changes every request; the ETag covers the data only.
		gen := p.Generated
		p.Generated = ""
		stable, err := p.Render()
		if err != nil {
			log.Error("public page", "err", err)
			http.Error(w, "页面暂时不可用 page unavailable", http.StatusInternalServerError)
			return
		}
		sum := sha256.Sum256(stable)
		etag := `"` + hex.EncodeToString(sum[:12]) + `"`
		h := w.Header()
		h.Set("Cache-Control", "public, max-age="+strconv.Itoa(cfg.CacheSeconds))
		h.Set("ETag", etag)
		h.Set("X-Content-Type-Options", "nosniff")
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		p.Generated = gen
		body, err := p.Render()
		if err != nil {
			log.Error("public page", "err", err)
			http.Error(w, "页面暂时不可用 page unavailable", http.StatusInternalServerError)
			return
		}
		h.Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(body)
	})
}
