package main

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"time"
)

// scaleOutGroup is the shared subscription group of the scale-out runs.
const scaleOutGroup = "bench"

// scaleResult is one scale-out run: n `lantian run --role ingest` processes in one shared
// subscription group draining one backlog.
type scaleResult struct {
	Instances int
	Target    int64
	Stored    int64 // sum over the instances of lantian_readings_stored_total
	Points    int64 // readings in InfluxDB afterwards: each exactly once
	Wall      time.Duration
	CPU       time.Duration // the instances' CPU together
	Err       error
}

func (r scaleResult) rate() float64 {
	if r.Wall <= 0 {
		return 0
	}
	return float64(r.Points) / r.Wall.Seconds()
}

// scaleOut drains a backlog with 1, 2 and 3 ingest instances (docs/scaling.md).
func (b *bench) scaleOut(ctx context.Context) []scaleResult {
	// The real-time backlog's size: its readings touch no derived state, so the instances'
	// throughput is the ingest tier's own.
	backlog := 0
	for _, spec := range b.opt.backlogs {
		if spec.payload == payloadRT {
			backlog = spec.n
		}
	}
	n := int64(min(backlog, 300_000))
	if n == 0 {
		return nil
	}
	var out []scaleResult
	for instances := 1; instances <= 3; instances++ {
		slog.Info("scale-out", "ingest_instances", instances, "readings", n)
		r := scaleResult{Instances: instances, Target: n}
		r.Err = b.scaleOutRun(ctx, &r)
		if r.Err != nil {
			slog.Error("scale-out run failed", "ingest_instances", instances, "err", r.Err)
		} else {
			slog.Info("scale-out done", "ingest_instances", instances, "wall", r.Wall.Round(time.Millisecond), "per_s", int(r.rate()))
		}
		out = append(out, r)
		if ctx.Err() != nil {
			break
		}
	}
	return out
}

func (b *bench) scaleOutRun(ctx context.Context, r *scaleResult) error {
	if err := b.svc.resetDatabase(); err != nil {
		return err
	}
	var ids []string
	var filters []string
	for _, f := range filtersOf(kindLantian) {
		filters = append(filters, "$share/"+scaleOutGroup+"/"+f)
	}
	for i := 1; i <= r.Instances; i++ {
		id := fmt.Sprintf("bench-ingest-%d-of-%d", i, r.Instances)
		// The group's sessions exist before the backlog: the broker shares it out among them.
		if err := presubscribe(ctx, b.svc.mqttURL, id, filters); err != nil {
			return err
		}
		ids = append(ids, id)
		defer b.dropSession(context.WithoutCancel(ctx), id)
	}
	if _, err := publishBacklog(ctx, b.svc.mqttURL, payloadRT, int(r.Target), b.opt.stations, b.opt.publishers); err != nil {
		return fmt.Errorf("publish backlog: %w", err)
	}
	b.waitQuiet(ctx, b.opt.quietWait)
	began := time.Now()
	var subs []*subscriber
	for _, id := range ids {
		port, err := freePort()
		if err != nil {
			return err
		}
		addr := fmt.Sprintf("127.0.0.1:%d", port)
		args := []string{"run", "--role", "ingest", "--mqtt-shared-group", scaleOutGroup, "--config", b.lantianConfig,
			"--mqtt-url", b.svc.mqttURL, "--mqtt-client-id", id, "--influx-url", b.svc.influx.URL,
			"--influx-bucket", b.svc.influx.Bucket(), "--http-addr", addr,
			"--data-dir", filepath.Join(b.dir, id+"-data"), "--log-level", "warn"}
		p, err := startProcess(id, b.opt.lantianBin, args, filepath.Join(b.dir, id+".log"), nil)
		if err != nil {
			return err
		}
		defer p.stop(60 * time.Second)
		subs = append(subs, &subscriber{kind: kindLantian, proc: p, base: "http://" + addr})
	}
	deadline := began.Add(b.opt.drainCap)
	for {
		var stored int64
		var lastErr error
		for _, s := range subs {
			if err := s.proc.alive(); err != nil {
				return err
			}
			p, err := s.progress(ctx)
			if err != nil {
				lastErr = err
				continue
			}
			stored += p.Stored
		}
		r.Stored = stored
		if lastErr == nil && stored >= r.Target {
			r.Wall = time.Since(began)
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("stored %d of %d readings within the drain cap of %s (%v)", stored, r.Target, b.opt.drainCap, lastErr)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	for _, s := range subs {
		c, err := procCPU(s.proc.pid())
		if err != nil {
			return err
		}
		r.CPU += c
	}
	var err error
	if r.Points, err = b.svc.countPoints(); err != nil {
		return err
	}
	if r.Points != r.Target {
		return fmt.Errorf("InfluxDB holds %d readings after the drain, want exactly %d", r.Points, r.Target)
	}
	return nil
}

// scaleOutMarkdown is the report's section on the scale-out runs.
func scaleOutMarkdown(rs []scaleResult, cores int) string {
	if len(rs) == 0 {
		return ""
	}
	var sb strings.Builder
	sb.WriteString("\n## Scale-out: 1, 2 and 3 ingest instances\n\n")
	fmt.Fprintf(&sb, "`lantian run --role ingest` processes in one MQTT shared subscription group (`$share/%s/…`) drain a QoS 1 backlog "+
		"that the broker shared out among their sessions before they started; the wall time runs from their start to the last "+
		"reading stored, and InfluxDB must then hold every reading exactly once (docs/scaling.md). On this machine's %d cores "+
		"more instances compete for the same CPU with Mosquitto and InfluxDB: the point is that throughput does not fall and "+
		"nothing is lost.\n\n", scaleOutGroup, cores)
	sb.WriteString("| ingest instances | readings | wall | readings/s | CPU of the instances | points in InfluxDB | result |\n|---:|---:|---:|---:|---:|---:|---|\n")
	for _, r := range rs {
		res := "every reading once"
		if r.Err != nil {
			res = "FAILED: " + strings.ReplaceAll(r.Err.Error(), "|", "/")
		}
		fmt.Fprintf(&sb, "| %d | %d | %s | %.0f | %s | %d | %s |\n", r.Instances, r.Target, r.Wall.Round(time.Millisecond),
			r.rate(), r.CPU.Round(time.Millisecond), r.Points, res)
	}
	return sb.String()
}
