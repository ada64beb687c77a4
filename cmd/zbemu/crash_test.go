package main

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"math/rand"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
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

// ackLog collects the sequence numbers the server acknowledged.
type ackLog struct {
	mu   sync.Mutex
	seqs map[int64]bool
}

func (a *ackLog) add(seqs ...int64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, s := range seqs {
		a.seqs[s] = true
	}
}

func crashRecord(seq int64) string {
	return fmt.Sprintf(`{"device_id":"d%d","ts":%d,"temperature":1.5,"humidity":2.5,"status":"ok","seq":%d}`, seq%5, 1732451234000000+seq, seq)
}

// streamUntilDead streams batches over gRPC until the server dies, then
// records which batches were acknowledged.
func streamUntilDead(addr string, table string, next func() int64, acks *ackLog) {
	cc, err := zbclient.Dial(addr)
	if err != nil {
		return
	}
	defer cc.Close()
	st, err := zbclient.OpenStream(context.Background(), cc, zbclient.StreamOptions{Token: devToken, Table: table, RecordType: zerobuspb.RecordType_JSON, Window: 64})
	if err != nil {
		return
	}
	var batches [][]int64
	for {
		var recs []string
		var seqs []int64
		for i := 0; i < 50; i++ {
			s := next()
			seqs = append(seqs, s)
			recs = append(recs, crashRecord(s))
		}
		batches = append(batches, seqs)
		if err := st.Send(zbclient.Batch{JSON: recs}); err != nil {
			break
		}
	}
	<-st.Done()
	acked := st.Acked()
	for off := int64(0); off <= acked; off++ {
		acks.add(batches[off]...)
	}
}

func restUntilDead(url, table string, next func() int64, acks *ackLog) {
	c := &http.Client{Timeout: 5 * time.Second}
	for {
		var buf bytes.Buffer
		var seqs []int64
		buf.WriteByte('[')
		for i := 0; i < 20; i++ {
			s := next()
			seqs = append(seqs, s)
			if i > 0 {
				buf.WriteByte(',')
			}
			buf.WriteString(crashRecord(s))
		}
		buf.WriteByte(']')
		req, _ := http.NewRequest("POST", url+"/zerobus/v1/tables/"+table+"/insert", &buf)
		req.Header.Set("Authorization", "Bearer "+devToken)
		resp, err := c.Do(req)
		if err != nil {
			return
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			return
		}
		acks.add(seqs...)
	}
}

// poisonRecord is a record no store can hold (a TIMESTAMP in year 294247):
// validation must refuse it, and with it the whole request.
func poisonRecord(seq int64) string {
	return fmt.Sprintf(`{"device_id":"p","ts":9223372036854775807,"seq":%d}`, seq)
}

// poisonUntilDead sends requests that pair a good record with a poisoned
// one, over REST and gRPC in turn, until the server dies. Each must be
// refused whole: their seqs go to refused, and any acknowledgement of one
// is counted in wrongAcks.
func poisonUntilDead(addr, url, table string, next func() int64, refused *ackLog, wrongAcks *atomic.Int64) {
	c := &http.Client{Timeout: 5 * time.Second}
	for i := 0; ; i++ {
		good, bad := next(), next()
		refused.add(good, bad)
		recs := []string{crashRecord(good), poisonRecord(bad)}
		if i%2 == 0 {
			req, _ := http.NewRequest("POST", url+"/zerobus/v1/tables/"+table+"/insert", strings.NewReader("["+strings.Join(recs, ",")+"]"))
			req.Header.Set("Authorization", "Bearer "+devToken)
			resp, err := c.Do(req)
			if err != nil {
				return
			}
			resp.Body.Close()
			switch resp.StatusCode {
			case 200:
				wrongAcks.Add(1)
			case 400:
			default:
				return // shutting down or dead
			}
			continue
		}
		cc, err := zbclient.Dial(addr)
		if err != nil {
			return
		}
		st, err := zbclient.OpenStream(context.Background(), cc, zbclient.StreamOptions{Token: devToken, Table: table, RecordType: zerobuspb.RecordType_JSON, Window: 4})
		if err != nil {
			cc.Close()
			return
		}
		st.Send(zbclient.Batch{JSON: recs})
		<-st.Done()
		acked, err := st.Acked(), st.Err()
		cc.Close()
		if acked >= 0 {
			wrongAcks.Add(1)
		}
		if status.Code(err) != codes.InvalidArgument {
			return // the server died
		}
	}
}

// TestAckedRecordsSurviveKill9 ingests from two gRPC streams and REST, with
// a writer that keeps sending poisoned records, kills the server with
// SIGKILL at random moments over ten cycles, and checks that every
// acknowledged record is in the table exactly once, that no poisoned
// request was acknowledged or stored, and that every restart succeeds.
func TestAckedRecordsSurviveKill9(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	acks := &ackLog{seqs: map[int64]bool{}}
	var seqMu sync.Mutex
	var seq int64
	next := func() int64 {
		seqMu.Lock()
		defer seqMu.Unlock()
		seq++
		return seq
	}
	refused := &ackLog{seqs: map[int64]bool{}}
	var wrongAcks atomic.Int64
	rng := rand.New(rand.NewSource(time.Now().UnixNano()))
	const cycles = 10
	for cycle := 0; cycle < cycles; cycle++ {
		s := startServer(t, data)
		if cycle == 0 {
			s.sql("CREATE TABLE main.default.crash " + iotDDL)
		}
		var wg sync.WaitGroup
		for i := 0; i < 2; i++ {
			wg.Add(1)
			go func() { defer wg.Done(); streamUntilDead(s.addr, "main.default.crash", next, acks) }()
		}
		wg.Add(1)
		go func() { defer wg.Done(); restUntilDead(s.url, "main.default.crash", next, acks) }()
		wg.Add(1)
		go func() {
			defer wg.Done()
			poisonUntilDead(s.addr, s.url, "main.default.crash", next, refused, &wrongAcks)
		}()
		time.Sleep(time.Duration(300+rng.Intn(1200)) * time.Millisecond)
		s.kill9()
		wg.Wait()
	}
	s := startServer(t, data)
	if len(acks.seqs) == 0 {
		t.Fatal("nothing was acknowledged; the test proves nothing")
	}
	// The table holds up to millions of records, more than one inline
	// result may carry (25 MiB): read the duplicates, and the distinct seqs
	// as runs of consecutive values (the writers draw seqs from one
	// counter, so gaps are few: refused and unacknowledged requests).
	dups := s.sql("SELECT seq, count(*) FROM main.default.crash GROUP BY seq HAVING count(*) > 1")
	runs := s.sql("SELECT min(seq), max(seq) FROM (SELECT seq, seq - row_number() OVER (ORDER BY seq) AS run " +
		"FROM (SELECT DISTINCT seq FROM main.default.crash WHERE seq IS NOT NULL)) GROUP BY run ORDER BY 1")
	type span struct{ lo, hi int64 }
	spans := make([]span, len(runs))
	distinct := int64(0)
	for i, r := range runs {
		spans[i].lo, _ = strconv.ParseInt(*r[0], 10, 64)
		spans[i].hi, _ = strconv.ParseInt(*r[1], 10, 64)
		distinct += spans[i].hi - spans[i].lo + 1
	}
	present := func(q int64) bool {
		i := sort.Search(len(spans), func(i int) bool { return spans[i].hi >= q })
		return i < len(spans) && spans[i].lo <= q
	}
	stored := 0
	for q := range refused.seqs {
		if present(q) {
			stored++
		}
	}
	if len(refused.seqs) == 0 {
		t.Error("no poisoned request was sent; the test proves nothing about them")
	}
	if wrongAcks.Load() > 0 || stored > 0 {
		t.Errorf("%d poisoned requests acknowledged, %d of their records stored; want none", wrongAcks.Load(), stored)
	}
	missing, dup := 0, len(dups)
	for q := range acks.seqs {
		if !present(q) {
			missing++
		}
	}
	t.Logf("acknowledged %d records over %d kill -9 cycles, refused %d poisoned ones; table holds %d distinct",
		len(acks.seqs), cycles, len(refused.seqs)/2, distinct)
	if missing > 0 || dup > 0 {
		t.Errorf("%d acknowledged records missing, %d duplicated", missing, dup)
	}
}

// TestWidenedProtoRecordsSurviveKill9: a protobuf stream opened before
// ALTER COLUMN ... TYPE keeps sending the old type; records it had
// acknowledged but not yet written into DuckDB when the server is killed
// must come back at restart, widened (the replay cannot decode them under
// the new column type with the stream's descriptor).
func TestWidenedProtoRecordsSurviveKill9(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	// Nothing is written into DuckDB unless a query waits for it.
	s := startServer(t, data, "--flush-interval", "1h")
	s.sql("CREATE TABLE main.default.w (id INT NOT NULL, reading INT) TBLPROPERTIES ('delta.enableTypeWidening' = 'true')")
	desc, err := proto.Marshal(descriptorFor("W", []schema.Field{{Name: "id", Type: &schema.Type{Kind: schema.Int}},
		{Name: "reading", Type: &schema.Type{Kind: schema.Int}, Nullable: true}}, true))
	if err != nil {
		t.Fatal(err)
	}
	st := wireStreamOf(t, s, "main.default.w", zerobuspb.RecordType_PROTO, desc)
	rec := func(id, reading int32) []byte {
		b := protowire.AppendTag(nil, 1, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(id))
		b = protowire.AppendTag(b, 2, protowire.VarintType)
		return protowire.AppendVarint(b, uint64(reading))
	}
	if err := st.Send(zbclient.Batch{Proto: [][]byte{rec(1, 10)}}); err != nil {
		t.Fatal(err)
	}
	if err := waitAcked(t, st); err != nil {
		t.Fatal(err)
	}
	s.sql("ALTER TABLE main.default.w ALTER COLUMN reading TYPE BIGINT")
	if err := st.Send(zbclient.Batch{Proto: [][]byte{rec(2, math.MaxInt32), rec(3, -7)}}); err != nil {
		t.Fatal(err)
	}
	if err := waitAcked(t, st); err != nil {
		t.Fatalf("old stream after widening: %v", err)
	}
	s.kill9()
	s = startServer(t, data)
	if got := s.cells("SELECT id, reading FROM main.default.w ORDER BY id"); got != "1|10\n2|2147483647\n3|-7" {
		t.Errorf("rows after kill -9 and restart:\n%s\nserver log:\n%s", got, s.log)
	}
}
