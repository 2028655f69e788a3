package sim

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"time"

	"lantian/ingest/hj212"
	"lantian/ingest/jsonreading"
	"lantian/ingest/reading"
	"lantian/ingest/registry"
)

// LoggerPassword is the PW the demo's data logger sends; the demo configures it for every MN.
const LoggerPassword = "123456"

// LoggerOptions configure RunLogger.
type LoggerOptions struct {
	// Addr is the TCP address of the HJ 212 gateway.
	Addr string
	// Registry names the devices: every station and outlet with an MN.
	Registry *registry.Registry
	// Every is the time between two rounds of real-time data.
	Every time.Duration
	// Log receives encoding errors and missing replies (nil: slog.Default()).
	Log *slog.Logger
}

// loggerCodes are the HJ 212 pollutant codes the data logger sends for the contract's fields.
var loggerCodes = map[string]string{"pm25": "a34004", "pm10": "a34002", "so2": "a21026", "no2": "a21004", "co": "a21005",
	"o3": "a05024", "dust": "a34013", "nox": "a21002", "o2": "a19001", "flow": "a00000", "temp": "a01012"}

// RunLogger plays an HJ 212 data logger for each registry device with an MN, as the demo does:
// it connects to the gateway and every o.Every sends real-time data (CN 2011, answer wanted)
// built from the simulator, until ctx ends. It does nothing without a device or an address.
func RunLogger(ctx context.Context, s *Simulator, o LoggerOptions) {
	log := o.Log
	if log == nil {
		log = slog.Default()
	}
	type device struct{ mn, topic string }
	var devices []device
	for _, st := range o.Registry.Stations {
		if st.MN != "" {
			devices = append(devices, device{st.MN, "air/" + st.ID})
		}
	}
	for _, src := range o.Registry.Sources {
		for _, out := range src.Outlets {
			if out.MN != "" {
				devices = append(devices, device{out.MN, "source/" + src.ID + "/" + out.ID})
			}
		}
	}
	if len(devices) == 0 || o.Addr == "" {
		return
	}
	for ctx.Err() == nil {
		conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", o.Addr)
		if err != nil {
			_ = sleepUntil(ctx, time.Now().Add(time.Second))
			continue
		}
		replies := hj212.NewSplitter(conn, hj212.DefaultMaxPacket)
		repeat(ctx, o.Every, true, func(time.Time) {
			now := time.Now().Truncate(time.Second)
			byTopic := map[string][]byte{}
			for _, m := range s.Messages(now, reading.RealTime) {
				byTopic[m.Topic] = m.Payload
			}
			for _, d := range devices {
				payload, ok := byTopic[d.topic]
				if !ok {
					continue
				}
				cp := loggerCP(d.topic, payload, now, s.loc)
				st := "22"
				if strings.HasPrefix(d.topic, "source/") {
					st = "31"
				}
				pkt, err := hj212.Encode(hj212.Header{QN: hj212.NewQN(now, s.loc), ST: st, CN: "2011", PW: LoggerPassword,
					MN: d.mn, Flag: 5, HasFlag: true}, cp)
				if err != nil {
					log.Error("demo data logger: encode", "err", err)
					continue
				}
				if _, err := conn.Write(pkt); err != nil {
					// The rest of the round is lost; the next round tries the connection again.
					return
				}
				_ = conn.SetReadDeadline(time.Now().Add(30 * time.Second))
				if _, err := replies.Next(); err != nil {
					log.Warn("demo data logger: no reply from gateway", "err", err)
				}
			}
		})
		conn.Close()
	}
}

// loggerCP turns a simulator JSON payload into an HJ 212 CP area.
func loggerCP(topic string, payload []byte, now time.Time, loc *time.Location) string {
	var r reading.Reading
	var err error
	if strings.HasPrefix(topic, "air/") {
		r, err = jsonreading.DecodeAir(strings.TrimPrefix(topic, "air/"), payload)
	} else {
		parts := strings.Split(topic, "/")
		r, err = jsonreading.DecodeSource(parts[1], parts[2], payload)
	}
	var b strings.Builder
	b.WriteString("DataTime=" + hj212.FormatTime(now, loc))
	if err != nil {
		return b.String()
	}
	for _, v := range r.Values {
		code, ok := loggerCodes[v.Name]
		if !ok || v.NoValue {
			continue
		}
		fmt.Fprintf(&b, ";%s-Rtd=%.3f,%s-Flag=N", code, v.Value, code)
	}
	return b.String()
}
