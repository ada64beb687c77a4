package ingestlog

import (
	"encoding/binary"
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

// FrameCap is the capacity NewFrame gives a frame for a payload of n
// bytes, for callers that reuse their buffers: any buffer of at least this
// capacity, resliced to HeaderSize, is such a frame.
func FrameCap(n int) int { return int(frameLen(n)) }

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
