package fault_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/zbemu/zbemu/engine"
	"github.com/zbemu/zbemu/engine/fault"
)

func TestDecodeRequestErrors(t *testing.T) {
	tests := []struct {
		name string
		body string
		want []string // substrings of the error
	}{
		{"empty body", ``, []string{"body is empty"}},
		{"unknown kind", `{"kind":"explode"}`, []string{`"kind"`, "rate-limit", `"explode"`}},
		{"missing kind", `{"table":"a.b.c"}`, []string{`"kind"`, "received nothing"}},
		{"negative count", `{"kind":"rate-limit","count":-3}`, []string{`"count"`, "positive integer", "-3"}},
		{"zero count", `{"kind":"rate-limit","count":0}`, []string{`"count"`, "received 0"}},
		{"count as string", `{"kind":"rate-limit","count":"5"}`, []string{`"count"`, "an integer", "string"}},
		{"probability above 1", `{"kind":"unavailable","probability":1.5}`, []string{`"probability"`, "at most 1", "1.5"}},
		{"probability zero", `{"kind":"unavailable","probability":0}`, []string{`"probability"`, "greater than 0"}},
		{"unparsable for", `{"kind":"unavailable","for":"soon"}`, []string{`"for"`, "duration", `"soon"`}},
		{"negative for", `{"kind":"unavailable","for":"-5s"}`, []string{`"for"`, "positive"}},
		{"endless for", `{"kind":"unavailable","for":"9999h"}`, []string{`"for"`, "at most 24h"}},
		{"unparsable latency", `{"kind":"latency","latency":"fast"}`, []string{`"latency"`, `"fast"`}},
		{"latency without a delay", `{"kind":"latency"}`, []string{`"latency"`, "received nothing"}},
		{"inverted range", `{"kind":"latency","latency_min":"2s","latency_max":"1s"}`, []string{`"latency_max"`, "not below latency_min"}},
		{"latency on another kind", `{"kind":"rate-limit","latency":"1s"}`, []string{"latency applies to kind latency only"}},
		{"for and count", `{"kind":"rate-limit","for":"1s","count":2}`, []string{"for or count, not both"}},
		{"table and stream", `{"kind":"close","table":"a.b.c","stream_id":"x"}`, []string{"table or stream_id, not both"}},
		{"two-part table", `{"kind":"close","table":"b.c"}`, []string{`"table"`, "catalog.schema.table"}},
		{"typo in a field", `{"kind":"rate-limit","probabilty":0.5}`, []string{`unknown field "probabilty"`}},
		{"trailing data", `{"kind":"rate-limit"} {}`, []string{"trailing data"}},
		{"not an object", `[1,2]`, []string{"expected", "array"}},
	}
	s := fault.NewSet()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := fault.DecodeRequest([]byte(tc.body))
			if err == nil {
				_, err = s.Add(r)
			}
			if err == nil {
				t.Fatal("accepted")
			}
			if !errors.Is(err, engine.ErrInvalidArgument) {
				t.Errorf("error %v does not wrap ErrInvalidArgument", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
	if n := len(s.List()); n != 0 {
		t.Errorf("%d faults active after refused requests", n)
	}
}

func count(n int64) *int64 { return &n }

func TestCheckTriggers(t *testing.T) {
	s := fault.NewSet()
	if _, err := s.Add(fault.Request{Table: "Main.Default.T", Kind: fault.RateLimit, Count: count(3)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Add(fault.Request{StreamID: "s1", Kind: fault.Close}); err != nil {
		t.Fatal(err)
	}
	hits := 0
	for range 10 {
		if h := s.Check("main.default.t", "any", fault.RateLimit, fault.Unavailable); h != nil {
			hits++
		}
	}
	if hits != 3 {
		t.Errorf("count 3 hit %d requests", hits)
	}
	if h := s.Check("main.default.other", "any", fault.RateLimit); h != nil {
		t.Errorf("a fault of main.default.t hit another table: %+v", h)
	}
	h := s.Check("x.y.z", "s1", fault.Close)
	if h == nil || h.Signal != fault.DefaultSignalDuration {
		t.Errorf("stream fault: %+v", h)
	}
	if l := s.List(); len(l) != 1 || l[0].Hits != 1 {
		t.Errorf("after the count fault ran out, list = %+v", l)
	}
	if err := s.Delete("f-nope"); !errors.Is(err, engine.ErrNotFound) {
		t.Errorf("delete unknown: %v", err)
	}
	if n := s.Clear(); n != 1 || s.Check("x.y.z", "s1", fault.Close) != nil {
		t.Errorf("clear removed %d", n)
	}
}

func TestLatencyAndExpiry(t *testing.T) {
	s := fault.NewSet()
	if _, err := s.Add(fault.Request{Kind: fault.Latency, LatencyMin: "100ms", LatencyMax: "200ms"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Add(fault.Request{Kind: fault.Latency, Latency: "1s", Table: "a.b.c"}); err != nil {
		t.Fatal(err)
	}
	for range 100 {
		d := s.Latency("a.b.c", "")
		if d < 1100*time.Millisecond || d >= 1200*time.Millisecond {
			t.Fatalf("latency %v outside [1.1s, 1.2s)", d)
		}
	}
	if d := s.Latency("other.b.c", ""); d < 100*time.Millisecond || d >= 200*time.Millisecond {
		t.Errorf("table-less fault gave %v", d)
	}
	// A probability too small to hit in practice never hits; one that is
	// certain always does.
	never := 1e-12
	if _, err := s.Add(fault.Request{Kind: fault.Unavailable, Probability: &never}); err != nil {
		t.Fatal(err)
	}
	for range 1000 {
		if s.Check("a.b.c", "", fault.Unavailable) != nil {
			t.Fatal("probability 1e-12 hit")
		}
	}
	// An elapsed fault is gone: 1ns has passed by the time we look.
	if _, err := s.Add(fault.Request{Kind: fault.Timeout, For: "1ns"}); err != nil {
		t.Fatal(err)
	}
	if s.Check("a.b.c", "", fault.Timeout) != nil {
		t.Error("an elapsed fault hit")
	}
}

func TestMaxFaults(t *testing.T) {
	s := fault.NewSet()
	for i := range fault.MaxFaults {
		if _, err := s.Add(fault.Request{Kind: fault.Unavailable}); err != nil {
			t.Fatalf("fault %d: %v", i, err)
		}
	}
	if _, err := s.Add(fault.Request{Kind: fault.Unavailable}); err == nil || !strings.Contains(err.Error(), "clear some first") {
		t.Errorf("fault %d: %v", fault.MaxFaults+1, err)
	}
}
