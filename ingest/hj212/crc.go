package hj212

// CRC returns the HJ 212 checksum of a data segment (HJ 212-2017 Appendix A, same in HJ/T
// 212-2005). It is deliberately not CRC-16/MODBUS: the byte is XORed into the register's former
// high byte (reg>>8 ^ b), which is what the standard's C routine does and what every correct
// device on the wire sends. Because of that rule the result is always one of 256 values.
func CRC(data []byte) uint16 {
	reg := uint16(0xFFFF)
	for _, b := range data {
		// Table form of the bitwise rule below: reg = T[(reg>>8) ^ b].
		reg = crcTable[byte(reg>>8)^b]
	}
	return reg
}

// crcTable is the CRC-16/ARC table (reflected polynomial 0xA001). It is computed once at
// start-up and only read afterwards.
var crcTable = func() (t [256]uint16) {
	for i := range t {
		t[i] = crcBitwise([]byte{byte(i)}, 0)
	}
	return t
}()

// crcBitwise is the standard's routine as written, from a given register start: kept to build
// the table and to cross-check it in tests.
func crcBitwise(data []byte, reg uint16) uint16 {
	for _, b := range data {
		reg = (reg >> 8) ^ uint16(b)
		for range 8 {
			carry := reg & 1
			reg >>= 1
			if carry != 0 {
				reg ^= 0xA001
			}
		}
	}
	return reg
}

// crcModbus is CRC-16/MODBUS, used only to explain why a device's checksum is wrong.
func crcModbus(data []byte) uint16 {
	reg := uint16(0xFFFF)
	for _, b := range data {
		reg ^= uint16(b)
		for range 8 {
			carry := reg & 1
			reg >>= 1
			if carry != 0 {
				reg ^= 0xA001
			}
		}
	}
	return reg
}

// possibleHJ212CRC reports whether v can be produced by CRC at all: the low byte of every HJ 212
// CRC is one of eight values, so anything else proves the sender used a different algorithm
// rather than that the packet was damaged.
func possibleHJ212CRC(v uint16) bool {
	if v == 0xFFFF { // empty data segment
		return true
	}
	switch v & 0xFF {
	case 0x00, 0x01, 0x40, 0x41, 0x80, 0x81, 0xC0, 0xC1:
		return true
	}
	return false
}

const hexDigits = "0123456789ABCDEF"

func appendCRC(dst []byte, v uint16) []byte {
	return append(dst, hexDigits[v>>12], hexDigits[(v>>8)&0xF], hexDigits[(v>>4)&0xF], hexDigits[v&0xF])
}

// parseHex4 parses exactly four hex digits of either case.
func parseHex4(b []byte) (uint16, bool) {
	if len(b) != 4 {
		return 0, false
	}
	var v uint16
	for _, c := range b {
		var d byte
		switch {
		case c >= '0' && c <= '9':
			d = c - '0'
		case c >= 'a' && c <= 'f':
			d = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			d = c - 'A' + 10
		default:
			return 0, false
		}
		v = v<<4 | uint16(d)
	}
	return v, true
}
