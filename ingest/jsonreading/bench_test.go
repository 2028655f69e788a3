package jsonreading

import "testing"

// BenchmarkDecodeAir decodes an ambient reading as stations send it, with the package's scanner
// and with the encoding/json reference it replaced.
func BenchmarkDecodeAir(b *testing.B) {
	payload := []byte(`{"station":"cj-01","time":"2026-01-10T10:00:00+08:00","period":"1h","pm25":35,"pm10":61,"so2":8,"no2":31.5,"co":0.9,"o3":"44","flags":{"pm25":"N"}}`)
	for _, d := range []struct {
		name   string
		decode func(string, []byte) (any, error)
	}{
		{"scanner", func(t string, p []byte) (any, error) { return DecodeAir(t, p) }},
		{"encoding_json", func(t string, p []byte) (any, error) { return refDecodeAir(t, p) }},
	} {
		b.Run(d.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := d.decode("cj-01", payload); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
