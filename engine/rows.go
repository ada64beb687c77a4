package engine

import "database/sql/driver"

// Decoded rows wait in memory from validation until the materialiser
// appends them, so what they cost must follow the size of the request,
// not records × columns: 10 MB of `{}` records (3 bytes each) on a
// 2,000-column table would otherwise need 3.3 M × 2,000 slots of 16 bytes.
// A row therefore keeps slots only up to its last value present (missing
// trailing columns are NULL, as for columns added after a record was
// accepted), and a row whose few values are far apart keeps just those,
// as a sparseRow. Every value present took at least two bytes of the
// request (a protobuf tag and a one-byte payload; JSON needs more), so a
// row holds at most two slots per value present plus sparseSlack; with
// the slices that point at the records and rows, decoding costs at most
// 16 bytes per byte of the request plus 112 bytes per record.

// sparseSlack is how many NULL slots a row may carry before it is worth
// storing as a sparseRow; a few keep ordinary, mostly full rows dense.
const sparseSlack = 4

// sparseRow holds the values present of a record with many NULLs before
// its last value. Such a row is stored as []any{sparseRow}; no decoded
// value has this type, so a one-column row cannot be mistaken for it.
type sparseRow []sparseCell

type sparseCell struct {
	col int
	val any
}

// rowDecoder fills a row of one slot per column from a record:
// *schema.JSONDecoder and *schema.ProtoDecoder. An interface rather than a
// method value, which would cost an allocation per request.
type rowDecoder interface {
	Decode(rec []byte, row []any) error
}

// decodeRows decodes records into compact rows (see above) with dec. On error it returns the index of the
// first bad record. Rows share chunks of slots: the first holds up to
// firstChunkRows rows, the next ones what the rows so far predict for the
// rest of the request, so ordinary requests take two allocations for all
// their rows and requests of mostly empty rows allocate hardly any slots.
func decodeRows(ncols int, records [][]byte, dec rowDecoder) ([][]any, int64, int, error) {
	rows := make([][]any, len(records))
	var remaining int64
	for _, r := range records {
		remaining += int64(len(r))
	}
	var size, used int64
	cells := make([]any, 0, ncols*min(len(records), firstChunkRows))
	for i, r := range records {
		if cap(cells)-len(cells) < ncols {
			// Slots used per byte so far, for the bytes still to come, but
			// never more than half a slot per byte (see above) nor more
			// than the remaining records can fill.
			predict := min(used*remaining/max(size, 1), remaining/2)
			cells = make([]any, 0, min(int64(ncols)*int64(len(records)-i), int64(ncols)+predict))
		}
		slot := cells[len(cells) : len(cells)+ncols]
		if err := dec.Decode(r, slot); err != nil {
			return nil, 0, i, err
		}
		size += int64(len(r))
		remaining -= int64(len(r))
		last, set := 0, 0
		for c, v := range slot {
			if v != nil {
				last, set = c+1, set+1
			}
		}
		switch {
		case last == 0:
			// All NULL: nil, which pins no chunk.
		case last <= 2*set+sparseSlack:
			rows[i] = slot[:last:last]
			cells = cells[:len(cells)+last]
			used += int64(last)
		default:
			sp := make(sparseRow, 0, set)
			for c, v := range slot {
				if v != nil {
					sp = append(sp, sparseCell{c, v})
				}
			}
			clear(slot) // the slots are reused by the next record
			rows[i] = []any{sp}
		}
	}
	return rows, size, 0, nil
}

// firstChunkRows is how many rows the first chunk of slots holds.
const firstChunkRows = 128

// expandRow writes a row of decodeRows into args, one value per column of
// the table, NULL where the row has none.
func expandRow(args []driver.Value, row []any) {
	if len(row) == 1 {
		if sp, ok := row[0].(sparseRow); ok {
			clear(args)
			for _, c := range sp {
				if c.col < len(args) {
					args[c.col] = c.val
				}
			}
			return
		}
	}
	for i := range args {
		if i < len(row) {
			args[i] = row[i]
		} else {
			args[i] = nil // a column added after the record was accepted, or NULL
		}
	}
}

// Still, the slice headers of rows cost a fixed 24 bytes per record, and
// a row up to sparseSlack NULL slots more: 10 MB of 3-byte `{}` records
// would wait as 80 MB or more of rows. A request whose records are that
// small (lazyRows) is therefore only validated, into one reused row, and
// keeps no rows: its ingest log payload, which waits until the entry is
// applied anyway, is decoded again record by record when the materialiser
// appends it (logEntry.redecode), so its pending memory is its payload.

// lazyRowBytes is what a decoded row may cost beyond its values: its slice
// header and up to sparseSlack NULL slots.
const lazyRowBytes = 24 + 16*sparseSlack

// lazyRows reports whether records, size bytes in all, are small enough
// that their rows' bookkeeping would cost more than 4× the request.
func lazyRows(records [][]byte, size int64) bool {
	return int64(len(records))*lazyRowBytes > 4*size
}

// validateRows decodes records with dec into one reused row of ncols
// slots and keeps nothing; on error it returns the index of the first
// bad record.
func validateRows(ncols int, records [][]byte, dec rowDecoder) (int, error) {
	row := make([]any, ncols)
	for i, r := range records {
		if err := dec.Decode(r, row); err != nil {
			return i, err
		}
		clear(row)
	}
	return 0, nil
}
