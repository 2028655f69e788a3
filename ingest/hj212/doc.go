// Package hj212 speaks HJ 212 (HJ/T 212-2005, HJ 212-2017 and, as far as known, HJ 212-2025),
// the field protocol of Chinese air-quality stations and pollution-source data loggers.
//
// The pieces, from the wire up:
//   - Splitter cuts a byte stream (TCP, a capture file, an MQTT payload) into frames, using the
//     length field and resynchronising after junk and damaged frames, in bounded memory.
//   - Parse checks a frame (header, UTF-8 byte length, the standard's CRC — not CRC-16/MODBUS)
//     and reads the data segment by field name, tolerating what real senders get wrong; it
//     reports damage with typed errors and still returns the fields, marked untrusted.
//   - Encode, Frame and the *Reply functions build packets and the 9011-9014 answers.
//   - ToReading/Readings map pollutant codes of both editions to Lantian's reading fields, with
//     per-device units; PayloadDecoder does that for MQTT payloads.
//   - DecodeJSON backs "lantian hj212 decode".
//   - Server is the TCP gateway data loggers connect to.
//
// docs/hj212.md describes the behaviour in full; the spec is the text of HJ 212-2017 and
// HJ/T 212-2005.
package hj212
