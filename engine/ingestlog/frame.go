package ingestlog

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"slices"
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

// appendBatch frames payloads with indexes first, first+1, … into b.
func appendBatch(b []byte, first uint64, payloads [][]byte) []byte {
	var n int64
	for _, p := range payloads {
		n += frameLen(len(p))
	}
	b = slices.Grow(b, int(n))
	for i, p := range payloads {
		word := uint32(len(p))
		if i == 0 {
			word |= flagFirst
		}
		if i == len(payloads)-1 {
			word |= flagLast
		}
		off := len(b)
		b = binary.LittleEndian.AppendUint32(b, word)
		b = binary.LittleEndian.AppendUint32(b, 0)
		b = binary.LittleEndian.AppendUint64(b, first+uint64(i))
		b = append(b, p...)
		crc := crc32.Checksum(b[off+8:], castagnoli)
		binary.LittleEndian.PutUint32(b[off+4:], crc)
		for len(b)%8 != 0 {
			b = append(b, 0)
		}
	}
	return b
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
// first entry has index base.
func scanSegment(data []byte, base uint64) (scanResult, error) {
	r := scanResult{last: base - 1}
	off, next, inBatch := 0, base, false
	for {
		size, flags, ok := frameAt(data, off, next)
		if !ok || (flags&flagFirst != 0) == inBatch {
			break
		}
		inBatch = flags&flagLast == 0
		off += int(frameLen(size))
		if !inBatch {
			r.last, r.end = next, int64(off)
		}
		next++
	}
	r.clean = int64(off) == r.end && (len(data)-off < headerSize || binary.LittleEndian.Uint64(data[off+8:]) < base)
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
			return r, fmt.Errorf("entry %d at offset %d is damaged but batch %d at offset %d follows it", torn, r.end, idx, p)
		}
	}
	return r, nil
}
