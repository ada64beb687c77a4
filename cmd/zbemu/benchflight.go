package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
)

// The Arrow Flight workload of zbemu bench: the IoT rows as Arrow record
// batches on one DoPut call, as the SDK's Arrow stream sends them (schema
// message, then one FlightData per batch with {"offset_id":N}), batches
// pipelined up to a window and completed by ack_up_to_records.

// benchArrowSchema is benchDDL in Zerobus' Arrow layout.
var benchArrowSchema = arrow.NewSchema([]arrow.Field{
	{Name: "device_id", Type: arrow.BinaryTypes.LargeString},
	{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}},
	{Name: "temperature", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "humidity", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "status", Type: arrow.BinaryTypes.LargeString, Nullable: true},
	{Name: "seq", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
}, nil)

// benchArrowBatch is records from..from+n-1 of benchRow as a record batch.
func benchArrowBatch(from, n int) arrow.RecordBatch {
	b := array.NewRecordBuilder(memory.DefaultAllocator, benchArrowSchema)
	defer b.Release()
	for i := from; i < from+n; i++ {
		_, _, v := benchRow(i)
		b.Field(0).(*array.LargeStringBuilder).Append(v[0].(string))
		b.Field(1).(*array.TimestampBuilder).Append(arrow.Timestamp(v[1].(time.Time).UnixMicro()))
		b.Field(2).(*array.Float64Builder).Append(v[2].(float64))
		b.Field(3).(*array.Float64Builder).Append(v[3].(float64))
		b.Field(4).(*array.LargeStringBuilder).Append(v[4].(string))
		b.Field(5).(*array.Int64Builder).Append(v[5].(int64))
	}
	return b.NewRecordBatch()
}

// flightCapture keeps the FlightData an arrow-go writer sends, but for the
// end of stream marker, which the SDK does not send either.
type flightCapture struct{ out []*flight.FlightData }

func (c *flightCapture) Send(fd *flight.FlightData) error {
	if len(fd.DataHeader) > 0 {
		c.out = append(c.out, &flight.FlightData{DataHeader: bytes.Clone(fd.DataHeader), DataBody: bytes.Clone(fd.DataBody),
			AppMetadata: bytes.Clone(fd.AppMetadata)})
	}
	return nil
}

// encodeFlight encodes a schema and batches as the FlightData the SDK
// sends: the schema message first, then one message per batch with its
// offset_id.
func encodeFlight(schema *arrow.Schema, recs ...arrow.RecordBatch) ([]*flight.FlightData, error) {
	var c flightCapture
	w := flight.NewRecordWriter(&c, ipc.WithSchema(schema))
	for i, r := range recs {
		if err := w.WriteWithAppMetadata(r, fmt.Appendf(nil, `{"offset_id":%d}`, i)); err != nil {
			return nil, err
		}
	}
	return c.out, w.Close()
}

// arrowRun sends n IoT records to bench0 in batches of batch rows, keeping
// up to window batches unacknowledged.
func (b *benchEnv) arrowRun(ctx context.Context, n, batch, window int) (benchFigures, error) {
	var recs []arrow.RecordBatch
	for i := 0; i < n; i += batch {
		recs = append(recs, benchArrowBatch(i, min(batch, n-i)))
	}
	msgs, err := encodeFlight(benchArrowSchema, recs...)
	for _, r := range recs {
		r.Release()
	}
	if err != nil {
		return benchFigures{}, err
	}
	var bytesTotal int64
	for _, m := range msgs[1:] {
		bytesTotal += int64(len(m.DataHeader) + len(m.DataBody))
	}
	cc, err := grpc.NewClient(b.addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return benchFigures{}, err
	}
	defer cc.Close()
	ctx, cancel := context.WithCancel(metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer dapi-bench",
		"x-databricks-zerobus-table-name", "main.default.bench0"))
	defer cancel()
	ps, err := flight.NewFlightServiceClient(cc).DoPut(ctx)
	if err != nil {
		return benchFigures{}, err
	}
	readAck := func() (int64, error) {
		r, err := ps.Recv()
		if err != nil {
			return 0, err
		}
		var a struct {
			Records int64 `json:"ack_up_to_records"`
		}
		return a.Records, json.Unmarshal(r.AppMetadata, &a)
	}
	if err := ps.Send(msgs[0]); err != nil {
		return benchFigures{}, err
	}
	if _, err := readAck(); err != nil { // READY
		return benchFigures{}, fmt.Errorf("open Arrow stream: %w", err)
	}
	sent := make([]atomic.Int64, len(recs)) // unix nanoseconds
	slots := make(chan struct{}, window)
	done := make(chan error, 1)
	var lats []time.Duration
	cpu0, start := cpuTime(), time.Now()
	go func() {
		next, end := 0, int64(0) // next batch to complete, its last row + 1
		for {
			acked, err := readAck()
			if errors.Is(err, io.EOF) {
				err = nil
				if next < len(recs) {
					err = fmt.Errorf("the call ended with %d of %d batches acknowledged", next, len(recs))
				}
				done <- err
				return
			}
			if err != nil {
				done <- err
				return
			}
			for next < len(recs) && acked >= end+int64(min(batch, n-next*batch)) {
				end += int64(min(batch, n-next*batch))
				lats = append(lats, time.Since(time.Unix(0, sent[next].Load())))
				next++
				<-slots
			}
		}
	}()
	for i, m := range msgs[1:] {
		slots <- struct{}{}
		sent[i].Store(time.Now().UnixNano())
		if err := ps.Send(m); err != nil {
			break // the receiver reports why
		}
	}
	ps.CloseSend()
	err = <-done
	fig := benchFigures{recs: int64(n), bytes: bytesTotal, elapsed: time.Since(start), cpu: cpuTime() - cpu0, lats: lats}
	return fig, err
}
