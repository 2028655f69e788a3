package hj212

import "bytes"

// MaskPassword returns raw with the value of every PW= field (and NewPW=, the password-setting
// command's) replaced by "***", for dead letters, logs and decode output: a captured packet
// must not hand out the device's password. raw itself is not modified; when it holds no PW
// it is returned as it is. The CRC of a masked frame no longer matches, which is fine for a
// copy meant for a person.
func MaskPassword(raw []byte) []byte {
	if !bytes.Contains(raw, []byte("PW=")) {
		return raw
	}
	out := make([]byte, 0, len(raw))
	for {
		i := bytes.Index(raw, []byte("PW="))
		if i < 0 {
			return append(out, raw...)
		}
		out = append(out, raw[:i+3]...)
		raw = raw[i+3:]
		end := bytes.IndexAny(raw, ";&,\r\n")
		if end < 0 {
			end = len(raw)
		}
		if end > 0 {
			out = append(out, "***"...)
		}
		raw = raw[end:]
	}
}
