package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/zbemu/zbemu/engine"
	"github.com/zbemu/zbemu/schema"
)

// The validation-cost line of zbemu bench: how long the schema-driven JSON
// decoder takes per record for the 6-column IoT row and for a 30-column row
// with nested STRUCT, ARRAY, MAP and VARIANT columns, on one core, outside
// the server. The target is that schema depth costs the ingest rate
// at most 25% against the 6-column row. A nested record carries more data,
// so the comparison has to be normalised. Per leaf value (each scalar or
// null, wherever it sits) isolates depth: the work for the STRUCTs, ARRAYs
// and MAPs around a value is charged to the values, so the ratio is what
// depth adds to each value. Per byte is printed too, but it also measures
// value density: the nested row's values are short (1, 2, 3, true), and a
// flat row of short primitives already costs more per byte than the IoT row.

// nested30 is the wide telemetry row: 20 scalars and 10 nested columns.
var nested30 = []struct{ name, typ string }{
	{"id", "BIGINT NOT NULL"}, {"ts", "TIMESTAMP NOT NULL"}, {"name", "STRING"}, {"city", "STRING"}, {"temp", "DOUBLE"},
	{"hum", "DOUBLE"}, {"ok", "BOOLEAN"}, {"level", "INT"}, {"code", "SMALLINT"}, {"price", "DECIMAL(10,2)"},
	{"day", "DATE"}, {"local", "TIMESTAMP_NTZ"}, {"ratio", "FLOAT"}, {"blob", "BINARY"}, {"flag", "TINYINT"},
	{"seq", "BIGINT"}, {"note", "STRING"}, {"pressure", "DOUBLE"}, {"altitude", "INT"}, {"battery", "DOUBLE"},
	{"loc", "STRUCT<lat: DOUBLE NOT NULL, lon: DOUBLE NOT NULL, acc: FLOAT>"}, {"tags", "MAP<STRING, STRING>"},
	{"readings", "ARRAY<STRUCT<at: TIMESTAMP NOT NULL, v: DOUBLE>>"}, {"codes", "ARRAY<INT>"}, {"labels", "ARRAY<STRING>"},
	{"meta", "VARIANT"}, {"device", "STRUCT<model: STRING, fw: STRING, specs: STRUCT<cpu: STRING, ram: INT>>"},
	{"counters", "MAP<STRING, BIGINT>"}, {"flags", "ARRAY<BOOLEAN>"}, {"extra", "STRUCT<a: INT, b: ARRAY<DOUBLE>>"},
}

const nested30Record = `{"id":123456789,"ts":1795521600007000,"name":"pump-7","city":"Lyon","temp":21.5,"hum":40.25,` +
	`"ok":true,"level":3,"code":-12,"price":"1234.50","day":20051,"local":1795521600007000,"ratio":0.75,` +
	`"blob":"AAECAwQFBgc=","flag":1,"seq":99,"note":"all good","pressure":1013.2,"altitude":240,"battery":87.5,` +
	`"loc":{"lat":45.764,"lon":4.8357,"acc":3.5},"tags":{"site":"north","line":"2"},` +
	`"readings":[{"at":1795521600000000,"v":1.5},{"at":1795521601000000,"v":1.75},{"at":1795521602000000,"v":null}],` +
	`"codes":[1,2,3,5,8],"labels":["a","bb","ccc"],"meta":{"src":"plc","rev":[1,2]},` +
	`"device":{"model":"X1","fw":"2.3.1","specs":{"cpu":"arm","ram":512}},"counters":{"starts":12,"stops":11},` +
	`"flags":[true,false,true],"extra":{"a":7,"b":[0.5,0.25]}}`

// nested30DDL is the column list of the nested row's table.
func nested30DDL() string {
	defs := make([]string, len(nested30))
	for i, c := range nested30 {
		defs[i] = c.name + " " + c.typ
	}
	return "(" + strings.Join(defs, ", ") + ")"
}

// nestedRows sends the nested row with a distinct id per record.
var nestedRows = benchRows{
	table: func(int) string { return "main.default.nested30" },
	row: func(i int) (string, []byte) {
		return `{"id":` + strconv.Itoa(i) + strings.TrimPrefix(nested30Record, `{"id":123456789`), nil
	},
}

func benchColumns(defs []struct{ name, typ string }) ([]schema.Column, error) {
	cols := make([]schema.Column, len(defs))
	for i, d := range defs {
		typ, notNull := strings.CutSuffix(d.typ, " NOT NULL")
		t, err := schema.Parse(typ)
		if err != nil {
			return nil, fmt.Errorf("column %s: %w", d.name, err)
		}
		cols[i] = schema.Column{Name: d.name, Type: t, Nullable: !notNull}
	}
	return cols, nil
}

// decoderLoop decodes rec with the table's JSON decoder; its run method
// returns ns per record over a round of about 100 ms.
type decoderLoop struct {
	d   *schema.JSONDecoder
	row []any
	rec []byte
	n   int
}

func newDecoderLoop(cols []schema.Column, rec []byte) (*decoderLoop, error) {
	l := &decoderLoop{d: schema.NewJSONDecoder(cols), row: make([]any, len(cols)), rec: rec}
	if err := l.d.Decode(rec, l.row); err != nil {
		return nil, err
	}
	start := time.Now()
	for time.Since(start) < 10*time.Millisecond {
		l.d.Decode(rec, l.row)
		l.n++
	}
	l.n *= 10
	return l, nil
}

func (l *decoderLoop) run() float64 {
	runtime.GC()
	start := time.Now()
	for range l.n {
		l.d.Decode(l.rec, l.row)
	}
	return float64(time.Since(start).Nanoseconds()) / float64(l.n)
}

// jsonValues counts the leaf values of a record: every scalar and null,
// however deep; not arrays, objects or keys.
func jsonValues(rec []byte) (int, error) {
	var v any
	if err := json.Unmarshal(rec, &v); err != nil {
		return 0, err
	}
	var count func(v any) int
	count = func(v any) int {
		n := 0
		switch x := v.(type) {
		case map[string]any:
			for _, e := range x {
				n += count(e)
			}
		case []any:
			for _, e := range x {
				n += count(e)
			}
		default:
			n = 1
		}
		return n
	}
	return count(v), nil
}

// benchValidation prints the validation-cost line.
func benchValidation(out io.Writer, rounds int) error {
	iotCols, err := benchColumns([]struct{ name, typ string }{{"device_id", "STRING NOT NULL"}, {"ts", "TIMESTAMP NOT NULL"},
		{"temperature", "DOUBLE"}, {"humidity", "DOUBLE"}, {"status", "STRING"}, {"seq", "BIGINT"}})
	if err != nil {
		return err
	}
	wideCols, err := benchColumns(nested30)
	if err != nil {
		return err
	}
	iotRec, _, _ := benchRow(7)
	small, err := newDecoderLoop(iotCols, []byte(iotRec))
	if err != nil {
		return fmt.Errorf("6-column row: %w", err)
	}
	wide, err := newDecoderLoop(wideCols, []byte(nested30Record))
	if err != nil {
		return fmt.Errorf("30-column row: %w", err)
	}
	smallVals, err := jsonValues(small.rec)
	if err != nil {
		return err
	}
	wideVals, err := jsonValues(wide.rec)
	if err != nil {
		return err
	}
	// Alternate the two, as the workloads alternate with their baseline:
	// on a shared machine only ratios measured side by side are stable.
	var smalls, wides, perByte, perValue []float64
	for range max(rounds, 3) * 3 {
		s, w := small.run(), wide.run()
		smalls, wides = append(smalls, s), append(wides, w)
		perByte = append(perByte, (w/float64(len(wide.rec)))/(s/float64(len(small.rec))))
		perValue = append(perValue, (w/float64(wideVals))/(s/float64(smallVals)))
	}
	s, w, rv, rb := median(smalls), median(wides), median(perValue), median(perByte)
	verdict := "within"
	if rv > 1.25 {
		verdict = "misses"
	}
	fmt.Fprintf(out, "\nvalidation (schema-driven JSON decoder, 1 core, %d alternating rounds):\n"+
		"  6-column row:         %5.0f ns/record, %3d B, %2d leaf values: %5.1f ns/value, %.2f ns/B\n"+
		"  30-column nested row: %5.0f ns/record, %3d B, %2d leaf values: %5.1f ns/value, %.2f ns/B\n"+
		"  nested vs 6-column: %.2fx per leaf value [%.2f-%.2f] — %s the target of 1.25x (depth costing at most 25%%); %.2fx per byte [%.2f-%.2f]; %.1fx per record\n",
		len(perValue), s, len(small.rec), smallVals, s/float64(smallVals), s/float64(len(small.rec)),
		w, len(wide.rec), wideVals, w/float64(wideVals), w/float64(len(wide.rec)),
		rv, minOf(perValue), maxOf(perValue), verdict, rb, minOf(perByte), maxOf(perByte), w/s)
	return nil
}

// benchDepthEndToEnd streams the 6-column row and the nested row through
// the server (gRPC JSON, batches of 100, one stream) in alternating runs and
// times each from the first request until its rows are queryable, so the
// figure includes the DuckDB appender's work for nested vectors. The nested
// runs send a ninth of the records, about the same bytes.
func benchDepthEndToEnd(ctx context.Context, out io.Writer, root string, pairs, records int) error {
	iotRec, _, _ := benchRow(7)
	iotVals, err := jsonValues([]byte(iotRec))
	if err != nil {
		return err
	}
	nestedVals, err := jsonValues([]byte(nested30Record))
	if err != nil {
		return err
	}
	type side struct {
		rows    benchRows
		n, vals int
		rates   []float64 // leaf values per second
		mbs     []float64
	}
	sides := []*side{{rows: iotRows, n: records, vals: iotVals}, {rows: nestedRows, n: records / 9, vals: nestedVals}}
	var perValue []float64
	for range pairs {
		for _, sd := range sides {
			f, err := withBenchEnv(ctx, root, func(b *benchEnv) (benchFigures, error) {
				f, err := b.grpcRunRows(ctx, sd.rows, 1, sd.n, 100, false, 256)
				if err != nil {
					return f, err
				}
				// A query waits for every acknowledged record to be in DuckDB
				// (withBenchEnv then checks the count).
				start := time.Now()
				_, err = b.e.Execute(ctx, engine.StatementRequest{SQL: "SELECT count(*) FROM " + sd.rows.table(0), Identity: benchAdmin})
				f.elapsed += time.Since(start)
				return f, err
			})
			if err != nil {
				return err
			}
			sd.rates = append(sd.rates, float64(f.recs)*float64(sd.vals)/f.elapsed.Seconds())
			sd.mbs = append(sd.mbs, float64(f.bytes)/1e6/f.elapsed.Seconds())
		}
		perValue = append(perValue, sides[0].rates[len(sides[0].rates)-1]/sides[1].rates[len(sides[1].rates)-1])
	}
	iot, nested := sides[0], sides[1]
	fmt.Fprintf(out, "  end to end (gRPC JSON, batches of 100, until queryable, %d alternating pairs): 6-column row %.1f M leaf values/s, %.1f MB/s; "+
		"nested row %.1f M leaf values/s, %.1f MB/s\n  nested vs 6-column end to end: %.2fx the time per leaf value [%.2f-%.2f], %.2fx per byte\n",
		pairs, median(iot.rates)/1e6, median(iot.mbs), median(nested.rates)/1e6, median(nested.mbs),
		median(perValue), minOf(perValue), maxOf(perValue), median(iot.mbs)/median(nested.mbs))
	return nil
}
