package main

import (
	"fmt"
	"io"
	"runtime"
	"strings"
	"time"

	"github.com/zbemu/zbemu/schema"
)

// The validation-cost line of zbemu bench: how long the schema-driven JSON
// decoder takes per record for the 6-column IoT row and for a 30-column row
// with nested STRUCT, ARRAY, MAP and VARIANT columns, on one core, outside
// the server. The target is that schema depth costs the ingest rate
// at most 25% against the 6-column row; since a nested record is larger,
// the fair comparison is per byte (what MB/s of ingest the decoder allows).

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
	// Alternate the two, as the workloads alternate with their baseline:
	// on a shared machine only ratios measured side by side are stable.
	var smalls, wides, perByte []float64
	for range max(rounds, 3) * 3 {
		s, w := small.run(), wide.run()
		smalls, wides = append(smalls, s), append(wides, w)
		perByte = append(perByte, (w/float64(len(wide.rec)))/(s/float64(len(small.rec))))
	}
	s, w, r := median(smalls), median(wides), median(perByte)
	verdict := "within"
	if r > 1.25 {
		verdict = "misses"
	}
	fmt.Fprintf(out, "\nvalidation (schema-driven JSON decoder, 1 core, %d alternating rounds): 6-column row %.0f ns/record (%d B, %.2f ns/B); "+
		"30-column nested row %.0f ns/record (%d B, %.2f ns/B)\n  nested vs 6-column: %.1fx per record, %.2fx per byte [%.2f-%.2f] — %s the target of 1.25x per byte (depth costing at most 25%% of the ingest rate)\n",
		len(perByte), s, len(small.rec), s/float64(len(small.rec)), w, len(wide.rec), w/float64(len(wide.rec)), w/s, r, minOf(perByte), maxOf(perByte), verdict)
	return nil
}
