package fault

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/zbemu/zbemu/engine"
)

// The package's errors; they wrap the engine's categories, so the one
// error table maps them (400 INVALID_PARAMETER_VALUE, 404).
var (
	// ErrInvalid: a fault request that can never be accepted as sent.
	ErrInvalid = fmt.Errorf("invalid fault: %w", engine.ErrInvalidArgument)
	// ErrNotFound: no active fault has the id.
	ErrNotFound = fmt.Errorf("fault: %w", engine.ErrNotFound)
)

// Request is a fault as POST /zbemu/v1/faults takes it. Durations are Go
// durations ("30s", "200ms"). At most one of For and Count; Probability
// may go with either; with none of the three the fault lasts until it is
// cleared.
type Request struct {
	// Table (catalog.schema.table) or StreamID: what the fault targets;
	// neither means every ingest request.
	Table    string `json:"table,omitempty"`
	StreamID string `json:"stream_id,omitempty"`
	Kind     Kind   `json:"kind"`
	// For keeps the fault active for this long.
	For string `json:"for,omitempty"`
	// Count makes the fault hit this many requests (or acks), then end.
	Count *int64 `json:"count,omitempty"`
	// Probability is the chance that the fault hits a request (0–1].
	Probability *float64 `json:"probability,omitempty"`
	// Latency (fixed) or LatencyMin–LatencyMax (uniform): the delay a
	// latency fault adds to each ack.
	Latency    string `json:"latency,omitempty"`
	LatencyMin string `json:"latency_min,omitempty"`
	LatencyMax string `json:"latency_max,omitempty"`
	// SignalDuration is what a close fault's CloseStreamSignal announces
	// (default DefaultSignalDuration).
	SignalDuration string `json:"signal_duration,omitempty"`
}

// MaxRequestBytes bounds the body of a fault request; a real one is a
// few hundred bytes.
const MaxRequestBytes = 16 << 10

// DecodeRequest reads one fault request from JSON, naming the field, the
// expected type and what was received when it does not fit.
func DecodeRequest(body []byte) (Request, error) {
	var r Request
	if len(bytes.TrimSpace(body)) == 0 {
		return r, fmt.Errorf("%w: the body is empty; expected a JSON object such as {\"table\":\"main.default.events\",\"kind\":\"rate-limit\",\"for\":\"30s\"}", ErrInvalid)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	err := dec.Decode(&r)
	if err == nil && dec.Decode(new(json.RawMessage)) != io.EOF {
		err = errors.New("trailing data after the JSON object")
	}
	var te *json.UnmarshalTypeError
	switch {
	case err == nil:
		return r, nil
	case errors.As(err, &te) && te.Field == "":
		return r, fmt.Errorf("%w: the body: expected a JSON object, received a JSON %s", ErrInvalid, te.Value)
	case errors.As(err, &te):
		return r, fmt.Errorf("%w: field %q: expected %s, received a JSON %s", ErrInvalid, te.Field, jsonTypeName(te.Type.String()), te.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return r, fmt.Errorf("%w: unknown field %s; the fields are table, stream_id, kind, for, count, probability, latency, latency_min, latency_max, signal_duration",
			ErrInvalid, strings.TrimPrefix(err.Error(), "json: unknown field "))
	}
	return r, fmt.Errorf("%w: malformed JSON: %v", ErrInvalid, err)
}

func jsonTypeName(goType string) string {
	switch goType {
	case "int64":
		return "an integer"
	case "float64":
		return "a number"
	case "fault.Kind", "string":
		return "a string"
	}
	return goType
}

// parse validates r into a Fault.
func (r Request) parse() (*Fault, error) {
	f := &Fault{Request: r}
	bad := func(field, expected string, received any) error {
		return fmt.Errorf("%w: field %q: expected %s, received %v", ErrInvalid, field, expected, received)
	}
	kinds := make([]string, len(Kinds))
	for i, k := range Kinds {
		kinds[i] = string(k)
	}
	switch {
	case r.Kind == "":
		return nil, bad("kind", "one of "+strings.Join(kinds, ", "), "nothing")
	case !slices.Contains(Kinds, r.Kind):
		return nil, bad("kind", "one of "+strings.Join(kinds, ", "), fmt.Sprintf("%q", r.Kind))
	}
	if r.Table != "" && r.StreamID != "" {
		return nil, fmt.Errorf("%w: give table or stream_id, not both", ErrInvalid)
	}
	if r.Table != "" && len(strings.Split(r.Table, ".")) != 3 {
		return nil, bad("table", "a three-part name catalog.schema.table", fmt.Sprintf("%q", r.Table))
	}
	var err error
	duration := func(field, v string, dst *time.Duration) {
		if err != nil || v == "" {
			return
		}
		d, perr := time.ParseDuration(v)
		switch {
		case perr != nil:
			err = bad(field, "a duration such as 30s, 200ms or 2m", fmt.Sprintf("%q", v))
		case d <= 0:
			err = bad(field, "a positive duration", fmt.Sprintf("%q", v))
		case d > maxDuration:
			err = bad(field, "a duration of at most "+maxDuration.String(), fmt.Sprintf("%q", v))
		}
		*dst = d
	}
	duration("for", r.For, &f.forDur)
	duration("latency", r.Latency, &f.latency)
	duration("latency_min", r.LatencyMin, &f.latencyMin)
	duration("latency_max", r.LatencyMax, &f.latencyMax)
	duration("signal_duration", r.SignalDuration, &f.signal)
	if err != nil {
		return nil, err
	}
	if r.For != "" && r.Count != nil {
		return nil, fmt.Errorf("%w: give for or count, not both", ErrInvalid)
	}
	if r.Count != nil {
		if *r.Count <= 0 {
			return nil, bad("count", "a positive integer", *r.Count)
		}
		f.remaining = *r.Count
	}
	if p := r.Probability; p != nil && !(*p > 0 && *p <= 1) {
		return nil, bad("probability", "a number greater than 0 and at most 1", *p)
	}
	if r.Kind == Latency {
		if r.Latency == "" && r.LatencyMax == "" {
			return nil, bad("latency", "a duration (or latency_min and latency_max) for a latency fault", "nothing")
		}
		if r.Latency != "" && (r.LatencyMin != "" || r.LatencyMax != "") {
			return nil, fmt.Errorf("%w: give latency, or latency_min and latency_max, not both", ErrInvalid)
		}
		if r.LatencyMax != "" && f.latencyMax < f.latencyMin {
			return nil, bad("latency_max", "a duration not below latency_min ("+r.LatencyMin+")", fmt.Sprintf("%q", r.LatencyMax))
		}
	} else if r.Latency != "" || r.LatencyMin != "" || r.LatencyMax != "" {
		return nil, fmt.Errorf("%w: latency applies to kind latency only, not %s", ErrInvalid, r.Kind)
	}
	if r.SignalDuration != "" && r.Kind != Close {
		return nil, fmt.Errorf("%w: signal_duration applies to kind close only, not %s", ErrInvalid, r.Kind)
	}
	if r.Kind == Close && f.signal == 0 {
		f.signal = DefaultSignalDuration
	}
	return f, nil
}

// maxDuration bounds every duration of a fault: a day is longer than any
// lab, and a latency beyond the SDK's flush timeout (5 min) only hangs it.
const maxDuration = 24 * time.Hour
