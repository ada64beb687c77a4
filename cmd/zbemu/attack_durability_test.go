package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/zbemu/zbemu/fixtures/zbclient"
	"github.com/zbemu/zbemu/schema"
	"github.com/zbemu/zbemu/web/zerobuspb"
)

// Attack: acknowledged = durable = queryable (issue 9, "Data loss"). A
// value the store cannot hold must be refused before the ack, on every
// path and at every depth, and must cost nothing else.

const temporalDDL = "(id BIGINT, d DATE, ts TIMESTAMP, ntz TIMESTAMP_NTZ, arr ARRAY<TIMESTAMP>, st STRUCT<at: TIMESTAMP_NTZ, d: DATE>, m MAP<STRING, DATE>)"

// temporalFields is temporalDDL for descriptorFor (field numbers 1..7).
func temporalFields() []schema.Field {
	tk := func(k schema.Kind) *schema.Type { return &schema.Type{Kind: k} }
	return []schema.Field{
		{Name: "id", Type: tk(schema.BigInt), Nullable: true},
		{Name: "d", Type: tk(schema.Date), Nullable: true},
		{Name: "ts", Type: tk(schema.Timestamp), Nullable: true},
		{Name: "ntz", Type: tk(schema.TimestampNTZ), Nullable: true},
		{Name: "arr", Type: &schema.Type{Kind: schema.Array, Elem: tk(schema.Timestamp)}, Nullable: true},
		{Name: "st", Type: &schema.Type{Kind: schema.Struct, Fields: []schema.Field{
			{Name: "at", Type: tk(schema.TimestampNTZ), Nullable: true}, {Name: "d", Type: tk(schema.Date), Nullable: true}}}, Nullable: true},
		{Name: "m", Type: &schema.Type{Kind: schema.Map, Key: tk(schema.String), Value: tk(schema.Date)}, Nullable: true},
	}
}

func pbVarint(b []byte, num protowire.Number, v int64) []byte {
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, uint64(v))
}

func pbBytes(b []byte, num protowire.Number, v []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, v)
}

func TestAttackOutOfRangeTemporalValues(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	s := startServer(t, data)
	s.sql("CREATE TABLE main.default.victim (id BIGINT)")
	s.sql("CREATE TABLE main.default.t " + temporalDDL)
	desc, err := proto.Marshal(descriptorFor("T", temporalFields(), true))
	if err != nil {
		t.Fatal(err)
	}
	id := func() []byte { return pbVarint(nil, 1, 1) } // a fresh slice per record
	cases := []struct {
		name, json, path string
		proto            []byte
	}{
		{"TIMESTAMP int64 max", `{"id":1,"ts":9223372036854775807}`, "ts", pbVarint(id(), 3, math.MaxInt64)},
		{"TIMESTAMP after 9999-12-31", `{"id":1,"ts":253402300800000000}`, "ts", pbVarint(id(), 3, 253402300800000000)},
		{"TIMESTAMP_NTZ before 0001-01-01", `{"id":1,"ntz":-62135596800000001}`, "ntz", pbVarint(id(), 4, -62135596800000001)},
		{"DATE after 9999-12-31", `{"id":1,"d":2932897}`, "d", pbVarint(id(), 2, 2932897)},
		{"DATE before 0001-01-01", `{"id":1,"d":-719163}`, "d", pbVarint(id(), 2, -719163)},
		{"ARRAY<TIMESTAMP> element", `{"id":1,"arr":[0,-9223372036854775807]}`, "arr[1]", pbVarint(pbVarint(id(), 5, 0), 5, -9223372036854775807)},
		{"STRUCT field TIMESTAMP_NTZ", `{"id":1,"st":{"at":253402300800000000}}`, "st.at", pbBytes(id(), 6, pbVarint(nil, 1, 253402300800000000))},
		{"STRUCT field DATE", `{"id":1,"st":{"d":2147483647}}`, "st.d", pbBytes(id(), 6, pbVarint(nil, 2, math.MaxInt32))},
		{"MAP value DATE", `{"id":1,"m":{"k":-719163}}`, `m["k"]`, pbBytes(id(), 7, pbVarint(pbBytes(nil, 1, []byte("k")), 2, -719163))},
	}
	cc, err := zbclient.Dial(s.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	victims := []string{}
	addVictim := func() {
		v := fmt.Sprint(len(victims) + 1)
		if code, body := s.call("POST", "/zerobus/v1/tables/main.default.victim/insert", devToken, `[{"id":`+v+`}]`); code != 200 {
			t.Fatalf("victim insert: %d %s", code, body)
		}
		victims = append(victims, v)
	}
	refusedOverGRPC := func(name string, rt zerobuspb.RecordType, desc []byte, jsonRecs []string, protoRecs [][]byte) {
		t.Helper()
		st, err := zbclient.OpenStream(context.Background(), cc, zbclient.StreamOptions{Token: devToken, Table: "main.default.t", RecordType: rt, Descriptor: desc, Window: 4})
		if err != nil {
			t.Fatalf("%s: open stream: %v", name, err)
		}
		st.Send(zbclient.Batch{JSON: jsonRecs, Proto: protoRecs})
		err = waitAcked(t, st)
		if status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), "9999-12-31") {
			t.Errorf("%s: gRPC %s got %v, want INVALID_ARGUMENT naming the range", name, rt, err)
		}
		st.CloseSend()
	}
	for _, tc := range cases {
		addVictim()
		code, body := s.call("POST", "/zerobus/v1/tables/main.default.t/insert", devToken, "["+tc.json+"]")
		var apiErr struct{ ErrorCode, Message string }
		json.Unmarshal(body, &struct {
			ErrorCode *string `json:"error_code"`
			Message   *string `json:"message"`
		}{&apiErr.ErrorCode, &apiErr.Message})
		if code != 400 || apiErr.ErrorCode != "INVALID_PARAMETER_VALUE" || !strings.Contains(apiErr.Message, `"`+tc.path) || !strings.Contains(apiErr.Message, "0001-01-01") {
			t.Errorf("%s: REST got %d %s, want 400 INVALID_PARAMETER_VALUE naming %s and the range", tc.name, code, body, tc.path)
		}
		refusedOverGRPC(tc.name, zerobuspb.RecordType_JSON, nil, []string{tc.json}, nil)
		refusedOverGRPC(tc.name, zerobuspb.RecordType_PROTO, desc, nil, [][]byte{tc.proto})
		addVictim()
	}
	// The bounds themselves are accepted.
	if code, body := s.call("POST", "/zerobus/v1/tables/main.default.t/insert", devToken,
		`[{"id":100,"d":2932896,"ts":253402300799999999,"ntz":-62135596800000000,"arr":[-62135596800000000],"st":{"at":253402300799999999,"d":-719162},"m":{"k":2932896}}]`); code != 200 {
		t.Fatalf("bounds refused: %d %s", code, body)
	}
	want := "[" + strings.Join(victims, ", ") + "]"
	check := func(when string) {
		if got := s.cells("SELECT list(id ORDER BY id)::VARCHAR FROM main.default.victim"); got != want {
			t.Errorf("%s: victim = %s, want %s", when, got, want)
		}
		if got := s.cells("SELECT count(*), max(ts)::VARCHAR, min(ntz)::VARCHAR FROM main.default.t"); got != "1|9999-12-31 23:59:59.999999+00|0001-01-01 00:00:00" {
			t.Errorf("%s: t = %s", when, got)
		}
	}
	check("live")
	s.stop()
	s = startServer(t, data)
	check("after restart")
}

// mountTmpfs mounts a small tmpfs for a disk-full test, or skips the test.
func mountTmpfs(t *testing.T, size string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "disk")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("the disk-full attack needs root to mount a small tmpfs (mount: %v %s)", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
	return dir
}

// fillDisk writes filler until the file system is full.
func fillDisk(path string) {
	f, err := os.Create(path)
	if err != nil {
		return
	}
	defer f.Close()
	chunk := make([]byte, 64<<10)
	for _, n := range []int{len(chunk), 4096, 512, 1} {
		for {
			if _, err := f.Write(chunk[:n]); err != nil {
				break
			}
		}
	}
}

// TestAttackDiskFull: with the data directory on a full disk, ingest is
// refused with 503 TEMPORARILY_UNAVAILABLE / gRPC UNAVAILABLE naming the
// cause and /readyz is not ready; once space is freed the same process
// recovers, and every acknowledged record is queryable exactly once.
func TestAttackDiskFull(t *testing.T) {
	t.Parallel()
	// Room for the ingest log's first segment (64 MiB, preallocated by the
	// first insert) and the stores; the filler takes the rest.
	disk := mountTmpfs(t, "128m")
	s := startServer(t, filepath.Join(disk, "data"))
	s.sql("CREATE TABLE main.default.ev (id BIGINT NOT NULL, pad STRING)")
	pad := strings.Repeat("p", 2000)
	acked := 0
	insert := func() (int, []byte) {
		var recs []string
		for i := 0; i < 20; i++ {
			recs = append(recs, fmt.Sprintf(`{"id":%d,"pad":%q}`, acked+i, pad))
		}
		code, body := s.call("POST", "/zerobus/v1/tables/main.default.ev/insert", devToken, "["+strings.Join(recs, ",")+"]")
		if code == 200 {
			acked += len(recs)
		}
		return code, body
	}
	for i := 0; i < 20; i++ {
		if code, body := insert(); code != 200 {
			t.Fatalf("insert: %d %s", code, body)
		}
	}
	filler := filepath.Join(disk, "filler")
	fillDisk(filler)
	code, body := 200, []byte(nil)
	for i := 0; i < 2000 && code == 200; i++ {
		code, body = insert()
	}
	if code != 503 || !strings.Contains(string(body), "TEMPORARILY_UNAVAILABLE") || !strings.Contains(strings.ToLower(string(body)), "no space left on device") {
		t.Fatalf("ingest on a full disk: %d %s; want 503 TEMPORARILY_UNAVAILABLE naming the cause", code, body)
	}
	if code, body := s.call("GET", "/readyz", "", nil); code != 503 || !strings.Contains(strings.ToLower(string(body)), "no space left on device") {
		t.Errorf("/readyz on a full disk: %d %s", code, body)
	}
	cc, err := zbclient.Dial(s.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	st, err := zbclient.OpenStream(context.Background(), cc, zbclient.StreamOptions{Token: devToken, Table: "main.default.ev", RecordType: zerobuspb.RecordType_JSON, Window: 4})
	if err == nil {
		st.Send(zbclient.Batch{JSON: []string{`{"id":-1}`}})
		err = waitAcked(t, st)
	}
	if status.Code(err) != codes.Unavailable {
		t.Errorf("gRPC ingest on a full disk: %v, want UNAVAILABLE (the SDK retries it)", err)
	}
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second) // generous: only to avoid hanging
	for {
		code, body := s.call("GET", "/readyz", "", nil)
		if code == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no recovery after freeing space: /readyz %d %s", code, body)
		}
		time.Sleep(100 * time.Millisecond)
	}
	for i := 0; i < 5; i++ {
		if code, body := insert(); code != 200 {
			t.Fatalf("insert after recovery: %d %s", code, body)
		}
	}
	if got, want := s.cells("SELECT count(*), count(DISTINCT id), min(id), max(id) FROM main.default.ev"), fmt.Sprintf("%d|%d|0|%d", acked, acked, acked-1); got != want {
		t.Errorf("after recovery: count|distinct|min|max = %s, want %s\nlog:\n%s", got, want, s.log)
	}
}
