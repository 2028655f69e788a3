package hj212

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// BenchmarkDecode splits, parses and maps a stream of the real and worked-example packets.
func BenchmarkDecode(b *testing.B) {
	var stream bytes.Buffer
	n := 0
	for _, rp := range loadRealPackets(b) {
		stream.WriteString(rp.frame + "\r\n")
		n++
	}
	for _, s := range []string{exAirRtd, exCEMSHour, ex2005Rtd} {
		stream.WriteString(s + "\r\n")
		n++
	}
	data := stream.Bytes()
	dev := Device{Source: "S", Outlet: "O"}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	packets := 0
	for b.Loop() {
		sp := NewSplitter(bytes.NewReader(data), 0)
		for {
			frame, err := sp.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if frame == nil {
				continue
			}
			packets++
			p, err := Parse(frame)
			if err == nil && p.HasData() {
				_, _ = ToReading(p, dev, MapOptions{})
			}
		}
	}
	b.ReportMetric(float64(packets)/b.Elapsed().Seconds(), "packets/s")
}

// BenchmarkDecodePayload is the MQTT route's work for one well-formed packet of each kind (an
// air station's real-time data, a CEMS hour with Min/Avg/Max/Zs/Cou items, a 2005 real-time
// packet): split, parse, map. Its allocations per packet do not grow with the packet's fields.
func BenchmarkDecodePayload(b *testing.B) {
	d := &PayloadDecoder{Registry: testRegistry()}
	for _, c := range []struct{ name, mn, frame string }{
		{"air_rtd", "TESTAIR0000000000000001", exAirRtd},
		{"cems_hour", "TESTCEMS000000000000002", exCEMSHour},
		{"2005_rtd", "TEST2005000001", ex2005Rtd},
	} {
		b.Run(c.name, func(b *testing.B) {
			payload := []byte(c.frame + "\r\n")
			b.SetBytes(int64(len(payload)))
			b.ReportAllocs()
			for b.Loop() {
				rs, err := d.DecodePackets(c.mn, payload)
				if err != nil || len(rs) != 1 {
					b.Fatalf("%d readings, %v", len(rs), err)
				}
			}
		})
	}
}
