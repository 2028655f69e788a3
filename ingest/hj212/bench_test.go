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
