package ingestlog

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
)

const (
	headerSize = 16
	flagFirst  = 1 << 31 // first frame of its batch
	flagLast   = 1 << 30 // last frame of its batch
	maxPayload = 1<<30 - 1
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// frameLen is the size of a frame with a payload of n bytes.
func frameLen(n int) int64 {
	return int64(headerSize + (n+7)&^7)
}

// HeaderSize is the room a frame keeps before its payload for the header
// that Append fills in.
const HeaderSize = headerSize

// NewFrame returns an empty frame for a payload of n bytes: HeaderSize
// bytes of room for the header and capacity for the payload and its
// padding. The caller appends the payload (its bytes are then written
// from there, with no copy) and passes the frame to Append.
func NewFrame(n int) []byte {
	return make([]byte, headerSize, frameLen(n))
}

var zeros [8]byte

// iovMax is the most buffers one pwritev(2) takes (IOV_MAX on Linux).
const iovMax = 1024

// frameBatch fills in the headers of frames, in place, with indexes first,
// first+1, …, pads each to a multiple of 8 (within its capacity when it
// came from NewFrame) and appends them to out, ready for one writev.
func frameBatch(out [][]byte, first uint64, frames [][]byte) [][]byte {
	for i, f := range frames {
		n := len(f) - headerSize
		word := uint32(n)
		if i == 0 {
			word |= flagFirst
		}
		if i == len(frames)-1 {
			word |= flagLast
		}
		binary.LittleEndian.PutUint32(f, word)
		binary.LittleEndian.PutUint64(f[8:], first+uint64(i))
		binary.LittleEndian.PutUint32(f[4:], crc32.Checksum(f[8:], castagnoli))
		out = append(out, append(f, zeros[:frameLen(n)-int64(len(f))]...))
	}
	return out
}

// frameSize reads the payload size of the frame at off, expected to carry
// index want, without checking its CRC.
func frameSize(data []byte, off int, want uint64) (size int, ok bool) {
	if off < 0 || len(data)-off < headerSize {
		return 0, false
	}
	size = int(binary.LittleEndian.Uint32(data[off:]) & maxPayload)
	return size, binary.LittleEndian.Uint64(data[off+8:]) == want && int64(len(data)-off) >= frameLen(size)
}

// frameAt validates the frame at off, expected to carry index want, and
// returns its payload size and flags.
func frameAt(data []byte, off int, want uint64) (size int, flags uint32, ok bool) {
	if off < 0 || len(data)-off < headerSize {
		return 0, 0, false
	}
	word := binary.LittleEndian.Uint32(data[off:])
	size = int(word & maxPayload)
	if binary.LittleEndian.Uint64(data[off+8:]) != want || int64(len(data)-off) < frameLen(size) {
		return 0, 0, false
	}
	if crc32.Checksum(data[off+8:off+headerSize+size], castagnoli) != binary.LittleEndian.Uint32(data[off+4:]) {
		return 0, 0, false
	}
	return size, word &^ maxPayload, true
}

type scanResult struct {
	last  uint64 // index of the last entry of the last whole batch (base-1: none)
	end   int64  // offset after that batch
	clean bool   // nothing but zeros or an older use of the file follows
}

// scanSegment finds the whole batches at the start of a segment whose
// first entry has index base, going on after the whole batches of from
// (scanResult{last: base - 1} to start at the beginning): data holds the
// segment's bytes from offset from.end on.
func scanSegment(data []byte, base uint64, from scanResult) (scanResult, error) {
	r := scanResult{last: from.last, end: from.end}
	off, next, inBatch := 0, from.last+1, false
	for {
		size, flags, ok := frameAt(data, off, next)
		if !ok || (flags&flagFirst != 0) == inBatch {
			break
		}
		inBatch = flags&flagLast == 0
		off += int(frameLen(size))
		if !inBatch {
			r.last, r.end = next, from.end+int64(off)
		}
		next++
	}
	r.clean = from.end+int64(off) == r.end && (len(data)-off < headerSize || binary.LittleEndian.Uint64(data[off+8:]) < base)
	if r.clean {
		return r, nil
	}
	// Something other than a clean end follows. If a later batch starts
	// after it, the damaged batch had been synced: that is corruption,
	// not a torn write.
	torn := r.last + 1
	for p := off; p+headerSize <= len(data); p += 8 {
		idx := binary.LittleEndian.Uint64(data[p+8:])
		if idx <= torn || idx-torn > 1<<32 {
			continue
		}
		if _, flags, ok := frameAt(data, p, idx); ok && flags&flagFirst != 0 {
			return r, fmt.Errorf("entry %d at offset %d is damaged but batch %d at offset %d follows it", torn, r.end, idx, from.end+int64(p))
		}
	}
	return r, nil
}
