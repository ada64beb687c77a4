package engine

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/zbemu/zbemu/engine/rowcheck"
	"github.com/zbemu/zbemu/schema"
)

// Arrow streams (Arrow Flight DoPut) log each record batch as one record of
// its ingest log entry: an Arrow IPC stream of the stream's schema message
// and the batch message, exactly the bytes the client sent, in the
// encapsulated message format
// (https://arrow.apache.org/docs/format/Columnar.html#encapsulated-message-format),
// so that replay (and anyone reading the quarantine) reads it with any IPC
// reader. Their rows are never kept in memory: the batch is validated row
// by row when it arrives, and the materialiser reads the rows again from
// the logged bytes (like a lazy entry of tiny records, see decodeRows), so
// what a batch costs until it is applied is its size.

// arrowRows turns the rows of one Arrow schema into rows of a table
// version: the decoder, and the DEFAULTs of the columns the schema leaves
// out (a null in a column the schema has stays null, as an explicit JSON
// null does).
type arrowRows struct {
	dec      *schema.ArrowDecoder
	defaults []columnDefault
}

func newArrowRows(tv *tableVersion, s *arrow.Schema) (*arrowRows, error) {
	dec, err := schema.NewArrowDecoder(decoderColumns(tv.meta, tv.cols), s)
	if err != nil {
		return nil, fmt.Errorf("%w: table %s: %w", ErrInvalidArgument, tv.meta.fullName(), err)
	}
	a := &arrowRows{dec: dec}
	for _, d := range tv.defaults {
		if !dec.Present(d.col) {
			a.defaults = append(a.defaults, d)
		}
	}
	return a, nil
}

// row fills row from row i of rec.
func (a *arrowRows) row(rec arrow.RecordBatch, i int, row []any) error {
	if err := a.dec.Row(rec, i, row); err != nil {
		return err
	}
	applyDefaults(a.defaults, false, nil, row)
	return nil
}

// SubmitArrow validates one Arrow record batch of the stream (offset as
// for Submit; the batch is accepted or refused whole) and queues it for the
// ingest log. header and body are the IPC message of the batch as it
// arrived (Flight's data_header and data_body), logged unchanged.
func (s *Stream) SubmitArrow(offset int64, rec arrow.RecordBatch, header, body []byte) error {
	received := time.Now()
	n := int(rec.NumRows())
	if err := s.admit(offset, n); err != nil {
		return err
	}
	for i, col := range rec.Columns() {
		// Buffers that do not hold what the IPC header claims would make
		// the decoder read out of bounds.
		if err := array.ValidateFull(col); err != nil {
			return s.fail(fmt.Errorf("%w: Arrow batch at offset %d is malformed: field %q: %v", ErrInvalidArgument, offset, rec.ColumnName(i), err))
		}
	}
	checks, err := s.arrowChecks()
	if err != nil {
		return s.fail(err)
	}
	scratch := scratchRow(len(s.tv.cols))
	defer releaseRow(scratch)
	row := *scratch
	var rerr *RecordError
	for i := 0; i < n; i++ {
		err := s.arrow.row(rec, i, row)
		if err == nil {
			if err = nullDefaulted(s.arrow.defaults, row); err == nil {
				err = checks.Check(row)
			}
		}
		clear(row)
		switch {
		case err == nil:
		case rerr == nil:
			rerr = &RecordError{Offset: offset, Index: i, Err: err, Records: n, Failed: 1}
		default:
			rerr.Failed++
			if len(rerr.Others) < MaxListedFailures-1 {
				rerr.Others = append(rerr.Others, RecordFailure{Index: i, Err: err})
			}
		}
	}
	if rerr != nil {
		s.reject(rerr, nil)
		return s.fail(rerr)
	}
	s.nextOffset++
	msg := arrowIPC(s.arrowSchema, header, body)
	ent := &logEntry{table: s.table, tv: s.tv, streamID: s.id, count: n, bytes: int64(len(msg)), arrow: s.arrow}
	ent.payload, ent.frame = encodePayload(s.tv.meta.TableID, FormatArrow, "", s.id, [][]byte{msg})
	return s.enqueue(ent, offset, received)
}

// arrowChecks are the table's CHECK constraints for the stream's rows.
func (s *Stream) arrowChecks() (rowcheck.Set, error) {
	rd, err := s.rules(s.tv, nil)
	if err != nil {
		return nil, err
	}
	if r, ok := rd.(*ruleDecoder); ok {
		return r.checks, nil
	}
	return nil, nil
}

// arrowIPC lays out the schema message and one batch message as an Arrow
// IPC stream with its end-of-stream marker.
func arrowIPC(schemaHeader, header, body []byte) []byte {
	size := 8 + pad8(len(schemaHeader)) + 8 + pad8(len(header)) + len(body) + 8
	b := make([]byte, 0, size)
	b = appendMessage(b, schemaHeader, nil)
	b = appendMessage(b, header, body)
	return binary.LittleEndian.AppendUint32(binary.LittleEndian.AppendUint32(b, 0xFFFFFFFF), 0)
}

func pad8(n int) int { return (n + 7) &^ 7 }

func appendMessage(b, header, body []byte) []byte {
	b = binary.LittleEndian.AppendUint32(b, 0xFFFFFFFF)
	b = binary.LittleEndian.AppendUint32(b, uint32(pad8(len(header))))
	b = append(b, header...)
	b = append(b, make([]byte, pad8(len(header))-len(header))...)
	return append(b, body...)
}

// readArrowIPC reads the one record batch of a logged IPC stream; the
// batch points into b.
func readArrowIPC(b []byte) (*arrow.Schema, arrow.RecordBatch, error) {
	r, err := ipc.NewReader(bytes.NewReader(b), ipc.WithAllocator(memory.DefaultAllocator))
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", errCorruptEntry, err)
	}
	defer r.Release()
	if !r.Next() {
		err := r.Err()
		if err == nil {
			err = errors.New("no record batch")
		}
		return nil, nil, fmt.Errorf("%w: %v", errCorruptEntry, err)
	}
	rec := r.RecordBatch()
	rec.Retain()
	return r.Schema(), rec, nil
}

// appendArrow appends the rows of an Arrow entry, read again from its
// logged bytes.
func appendArrow(ent *logEntry, appendRow func([]any) error) error {
	p, err := decodePayload(ent.payload)
	if err == nil && len(p.records) != 1 {
		err = errCorruptEntry
	}
	if err != nil {
		return &valueError{fmt.Errorf("entry %d of %s: %w", ent.index, ent.tv.meta.fullName(), err)}
	}
	sch, rec, err := readArrowIPC(p.records[0])
	if err != nil {
		return &valueError{fmt.Errorf("entry %d of %s: %w", ent.index, ent.tv.meta.fullName(), err)}
	}
	defer rec.Release()
	if !sch.Equal(ent.arrow.dec.Schema()) {
		return &valueError{fmt.Errorf("entry %d of %s: the logged batch's schema is not the stream's", ent.index, ent.tv.meta.fullName())}
	}
	scratch := scratchRow(len(ent.tv.cols))
	defer releaseRow(scratch)
	row := *scratch
	for i := 0; i < int(rec.NumRows()); i++ {
		if err := ent.arrow.row(rec, i, row); err != nil {
			return &valueError{fmt.Errorf("decode logged Arrow row %d of %s again: %w", i, ent.tv.meta.fullName(), err)}
		}
		err := appendRow(row)
		clear(row)
		if err != nil {
			return err
		}
	}
	return nil
}

// replayArrow prepares a logged Arrow entry for the materialiser: the
// decoder of its schema for today's table version.
func replayArrow(ent *logEntry, p decodedPayload) error {
	if len(p.records) != 1 {
		return errCorruptEntry
	}
	sch, rec, err := readArrowIPC(p.records[0])
	if err != nil {
		return err
	}
	ent.count = int(rec.NumRows())
	rec.Release()
	ent.arrow, err = newArrowRows(ent.tv, sch)
	return err
}
