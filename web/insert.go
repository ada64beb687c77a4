package web

import (
	"bytes"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"sync"

	"github.com/gorilla/mux"

	"github.com/zbemu/zbemu/engine"
	"github.com/zbemu/zbemu/engine/fault"
)

// ndjson matches a body of JSON objects one per line: an object's end,
// a line break and the next object's start.
var ndjson = regexp.MustCompile(`\}[ \t]*\r?\n[ \t\r\n]*\{`)

func pathUnescape(s string) (string, error) { return url.PathUnescape(s) }

// insert implements REST POST /zerobus/v1/tables/{table}/insert: a JSON
// array of records (or one JSON object), all-or-nothing, 200 {} once durable.
func (s *Server) insert(w http.ResponseWriter, r *http.Request, id *engine.Identity) (err error) {
	defer func() { setRetryAfter(w, err) }()
	if err := s.admitREST(); err != nil {
		return err
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && mt != "text/json") {
			return &httpError{http.StatusUnsupportedMediaType, "INVALID_PARAMETER_VALUE",
				fmt.Sprintf("Content-Type %q is not supported; send application/json (a JSON array of records or one JSON object)", ct)}
		}
	}
	buf := bodyPool.Get().(*bytes.Buffer)
	body, err := readInsertBody(r, buf)
	if err != nil {
		return bodyReadError(err)
	}
	if limit := s.messageLimit(); len(body) > limit {
		return &httpError{http.StatusRequestEntityTooLarge, "RESOURCE_EXHAUSTED",
			fmt.Sprintf("request body exceeds %s; split it into several requests", limitText(limit))}
	}
	records, err := SplitRecords(body)
	if err != nil {
		return badRequest(err.Error())
	}
	table := tableFromPath(mux.Vars(r)["table"])
	if h := s.faults.Check(table, "", fault.RateLimit, fault.Unavailable); h != nil {
		return faultError(h, table, "")
	}
	warnings, err := s.e.InsertWarn(r.Context(), id, table, records)
	if err != nil {
		return err // the body goes to the GC: the error may still point into it
	}
	putBody(buf)
	setWarningHeader(w, warnings)
	sleepCtx(r.Context(), s.ackDelay(table, ""))
	writeJSON(w, http.StatusOK, struct{}{})
	return nil
}

// readInsertBody reads up to MaxMessageBytes+1 bytes of the body into
// buf, which the caller gives back to bodyPool once Insert has succeeded
// (the engine keeps no reference to the records then: it copied them into
// the ingest log's frame). A declared Content-Length sizes the buffer once
// (io.ReadAll would grow it by copying, several times for a 10 MB body);
// the records are then slices of this buffer.
func readInsertBody(r *http.Request, buf *bytes.Buffer) ([]byte, error) {
	if n := r.ContentLength; n > 0 && n <= engine.MaxMessageBytes {
		buf.Grow(int(n) + bytes.MinRead) // ReadFrom wants MinRead free to see EOF
	}
	_, err := buf.ReadFrom(io.LimitReader(r.Body, engine.MaxMessageBytes+1))
	return buf.Bytes(), err
}

// bodyPool holds the buffers of REST bodies for the next request, so that
// a body is not allocated again per request (issue 16: bytes allocated per
// record on the JSON path).
var bodyPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledBody is the largest buffer bodyPool keeps: a few requests of
// 10 MB must not pin 10 MB buffers for the small ones after them.
const maxPooledBody = 1 << 20

func putBody(buf *bytes.Buffer) {
	if buf.Cap() > maxPooledBody {
		return
	}
	buf.Reset()
	bodyPool.Put(buf)
}

// SplitRecords splits a REST body into raw JSON records: a JSON array of
// objects, or a single JSON object. Records are validated later against the
// table; here only the outer shape is checked.
func SplitRecords(body []byte) ([][]byte, error) {
	b := bytes.TrimSpace(body)
	if len(b) == 0 {
		return nil, fmt.Errorf("request body is empty; send a JSON array of records or one JSON object")
	}
	switch b[0] {
	case '{':
		if err := checkJSONValue(b); err != nil {
			if ndjson.Match(b) {
				return nil, fmt.Errorf("malformed JSON record: %v; the body looks like NDJSON (one JSON object per line): Zerobus REST takes a JSON array, so send [{...}, {...}] instead", err)
			}
			return nil, fmt.Errorf("malformed JSON record: %v", err)
		}
		return [][]byte{b}, nil
	case '[':
	default:
		return nil, fmt.Errorf("request body must be a JSON array of records or one JSON object, got %s", describeJSONStart(b[0]))
	}
	out := make([][]byte, 0, countObjects(b))
	dec := newArrayScanner(b)
	for {
		rec, ok, err := dec.next()
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		out = append(out, rec)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("the JSON array has no records")
	}
	return out, nil
}

// limitText names the message size limit: the real service's 10 MB, or
// a smaller quota set for practice.
func limitText(n int) string {
	if n == engine.MaxMessageBytes {
		return fmt.Sprintf("the 10 MB (%d bytes) limit", n)
	}
	return fmt.Sprintf("the message size quota of %d bytes (zbemu serve --quota-message-bytes)", n)
}
