package engine

import (
	"bytes"
	"strings"
	"testing"

	"github.com/zbemu/zbemu/engine/ingestlog"
)

// TestEncodePayloadFrame checks that encodePayload's payload is the one the
// frame carries after its header room, also when the header fields are
// longer than the room encodePayload allows for their lengths.
func TestEncodePayloadFrame(t *testing.T) {
	records := [][]byte{[]byte(`{"a":1}`), {}, bytes.Repeat([]byte("x"), 300)}
	for _, tableID := range []string{"3f1c2a9e-0000-4000-8000-000000000001", strings.Repeat("t", 1<<15)} {
		payload, frame := encodePayload(tableID, FormatJSON, "", "stream", records)
		if !bytes.Equal(frame[ingestlog.HeaderSize:], payload) || &frame[ingestlog.HeaderSize] != &payload[0] {
			t.Fatalf("table id of %d bytes: the frame does not carry the payload in place", len(tableID))
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
