package service

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	influxdb2 "github.com/influxdata/influxdb-client-go/v2"

	"lantian/ingest/influx"
)

// ensureBucket creates the bucket of an InfluxDB 2.x server, or the database of a 1.8 server
// (whose v2 compatibility API cannot create one), when it does not exist yet.
func ensureBucket(ctx context.Context, client influxdb2.Client, cfg influx.Config) error {
	health, err := client.Health(ctx)
	if err != nil {
		return fmt.Errorf("InfluxDB health check: %w", err)
	}
	if health.Version != nil && strings.HasPrefix(*health.Version, "1.") {
		db, _, _ := strings.Cut(cfg.Bucket, "/")
		return createDatabase18(ctx, cfg, db)
	}
	buckets := client.BucketsAPI()
	if _, err := buckets.FindBucketByName(ctx, cfg.Bucket); err == nil {
		return nil
	}
	org, err := client.OrganizationsAPI().FindOrganizationByName(ctx, cfg.Org)
	if err != nil {
		return fmt.Errorf("find organisation %q: %w", cfg.Org, err)
	}
	if _, err := buckets.CreateBucketWithName(ctx, org, cfg.Bucket); err != nil {
		return fmt.Errorf("create bucket %q: %w", cfg.Bucket, err)
	}
	return nil
}

// createDatabase18 runs CREATE DATABASE, which is idempotent in InfluxDB 1.x.
func createDatabase18(ctx context.Context, cfg influx.Config, db string) error {
	if db == "" {
		return errors.New(`influx.bucket names no database (1.8 wants "db/rp")`)
	}
	form := url.Values{"q": {fmt.Sprintf("CREATE DATABASE %q", db)}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(cfg.URL, "/")+"/query", strings.NewReader(form.Encode()))
	if err != nil {
		return fmt.Errorf("build CREATE DATABASE request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if user, pass, ok := strings.Cut(cfg.Token.Reveal(), ":"); ok {
		req.SetBasicAuth(user, pass)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("CREATE DATABASE %s: %w", db, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK || strings.Contains(string(body), `"error"`) {
		return fmt.Errorf("CREATE DATABASE %s: %s %s", db, resp.Status, body)
	}
	return nil
}
