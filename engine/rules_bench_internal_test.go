package engine

import (
	"context"
	"fmt"
	"testing"
)

// BenchmarkDecodeRules measures validation (decodeWith) of a 100-record
// JSON request: a table without CHECK constraints or DEFAULTs (the cost
// of looking for them is all that is added to it), with two constraints,
// and with a DEFAULT that every record omits.
//
//	go test -run XXX -bench DecodeRules -count 5 ./engine/ | benchstat -
func BenchmarkDecodeRules(b *testing.B) {
	ctx := context.Background()
	for _, tc := range []struct{ name, props, alter string }{
		{"none", "", ""},
		{"checks", "", "ALTER TABLE main.default.iot ADD CONSTRAINT t CHECK (temperature BETWEEN -50 AND 150 AND status IN ('ok', 'warn'));" +
			"ALTER TABLE main.default.iot ADD CONSTRAINT d CHECK (length(device_id) <= 64 AND seq >= 0)"},
		{"default", "TBLPROPERTIES ('delta.feature.allowColumnDefaults' = 'supported')", "ALTER TABLE main.default.iot ALTER COLUMN is_fault SET DEFAULT false"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			e, err := Open(ctx, Options{Memory: true, DevClientSecret: "s"})
			if err != nil {
				b.Fatal(err)
			}
			defer e.Close(ctx)
			admin := &Identity{ClientID: "zbemu-dev", Admin: true}
			sql := "CREATE TABLE main.default.iot (device_id STRING NOT NULL, ts TIMESTAMP NOT NULL, temperature DOUBLE, humidity DOUBLE, status STRING, seq BIGINT, is_fault BOOLEAN) " + tc.props
			if tc.alter != "" {
				sql += ";" + tc.alter
			}
			if _, err := e.Execute(ctx, StatementRequest{SQL: sql, Identity: admin}); err != nil {
				b.Fatal(err)
			}
			s, err := e.OpenStream(ctx, admin, StreamSpec{Table: "main.default.iot", Format: FormatJSON, Protocol: "GRPC"})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			var recs [][]byte
			for i := 0; i < 100; i++ {
				recs = append(recs, []byte(fmt.Sprintf(`{"device_id":"device-%05d","ts":%d,"temperature":%g,"humidity":4.2,"status":"ok","seq":%d}`, i, 1795521600000000+int64(i), float64(i%400)/10, i)))
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, _, err := s.decodeWith(s.tv, recs); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*100)/b.Elapsed().Seconds(), "records/s")
		})
	}
}
