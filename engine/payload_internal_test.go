package engine

import (
	"bytes"
	"strings"
	"testing"

	"github.com/zbemu/zbemu/engine/ingestlog"
)

// TestEncodePayloadFrame checks that encodePayload builds the payload in
// place in its frame (its size estimate is exact), for header fields and
// records whose lengths take one to three bytes as uvarints.
func TestEncodePayloadFrame(t *testing.T) {
	for i := range 16 { // every size mod 8, so a short estimate has no padding to hide in
		records := [][]byte{[]byte(`{"a":1}`), {}, bytes.Repeat([]byte("x"), 300), bytes.Repeat([]byte("y"), i)}
		tableID := "3f1c2a9e-0000-4000-8000-000000000001"
		if i%2 == 1 {
			tableID = strings.Repeat("t", 1<<15)
		}
		payload, frame := encodePayload(tableID, FormatJSON, "", "stream", records)
		if len(frame) != ingestlog.HeaderSize+len(payload) || cap(payload) != cap(frame)-ingestlog.HeaderSize || &frame[ingestlog.HeaderSize] != &payload[0] {
			t.Fatalf("case %d: the frame does not carry the payload in place", i)
		}
		p, err := decodePayload(payload)
		if err != nil || p.tableID != tableID || len(p.records) != len(records) {
			t.Fatalf("table id of %d bytes: decoded %v, %d records", len(tableID), err, len(p.records))
		}
		for i, r := range p.records {
			if !bytes.Equal(r, records[i]) {
				t.Errorf("record %d = %q, want %q", i, r, records[i])
			}
		}
	}
}
