package web

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/mux"

	"github.com/zbemu/zbemu/engine"
)

// The SQL Statement Execution API (/api/2.0/sql/statements). Statements run
// on the engine; this file keeps their lifecycle (ids, wait_timeout,
// polling, cancel) and the response shape.

type statementRequest struct {
	Statement     string           `json:"statement"`
	WarehouseID   string           `json:"warehouse_id"`
	Catalog       string           `json:"catalog"`
	Schema        string           `json:"schema"`
	Parameters    []statementParam `json:"parameters"`
	WaitTimeout   string           `json:"wait_timeout"`
	OnWaitTimeout string           `json:"on_wait_timeout"`
	Disposition   string           `json:"disposition"`
	Format        string           `json:"format"`
	RowLimit      int64            `json:"row_limit"`
	ByteLimit     int64            `json:"byte_limit"`
}

type statementParam struct {
	Name  string  `json:"name"`
	Value *string `json:"value"`
	Type  string  `json:"type"`
}

// StatementResponse is the API's response object.
type StatementResponse struct {
	StatementID string          `json:"statement_id"`
	Status      statementStatus `json:"status"`
	Manifest    *manifest       `json:"manifest,omitempty"`
	Result      *resultData     `json:"result,omitempty"`
}

type statementStatus struct {
	State string    `json:"state"`
	Error *APIError `json:"error,omitempty"`
	// SQLState is set for failed statements (Databricks: status.sql_state).
	SQLState string `json:"sql_state,omitempty"`
}

type manifest struct {
	Format          string      `json:"format"`
	Schema          schemaInfo  `json:"schema"`
	TotalChunkCount int         `json:"total_chunk_count"`
	Chunks          []chunkInfo `json:"chunks"`
	TotalRowCount   int         `json:"total_row_count"`
	Truncated       bool        `json:"truncated"`
}

type schemaInfo struct {
	ColumnCount int          `json:"column_count"`
	Columns     []columnInfo `json:"columns"`
}

type columnInfo struct {
	Name     string `json:"name"`
	TypeText string `json:"type_text"`
	TypeName string `json:"type_name"`
	Position int    `json:"position"`
	// TypePrecision and TypeScale are set for DECIMAL columns only, as in
	// Databricks' ColumnInfo.
	TypePrecision *int `json:"type_precision,omitempty"`
	TypeScale     *int `json:"type_scale,omitempty"`
	// TypeIntervalType is set for INTERVAL columns only: "DAY TO SECOND"
	// or "YEAR TO MONTH", as Databricks' ColumnInfo.type_interval_type.
	TypeIntervalType string `json:"type_interval_type,omitempty"`
}

type chunkInfo struct {
	ChunkIndex int `json:"chunk_index"`
	RowOffset  int `json:"row_offset"`
	RowCount   int `json:"row_count"`
}

type resultData struct {
	ChunkIndex int         `json:"chunk_index"`
	RowOffset  int         `json:"row_offset"`
	RowCount   int         `json:"row_count"`
	DataArray  [][]*string `json:"data_array"`
	// NextChunkIndex and NextChunkInternalLink point to the next chunk;
	// absent on the last one.
	NextChunkIndex        *int   `json:"next_chunk_index,omitempty"`
	NextChunkInternalLink string `json:"next_chunk_internal_link,omitempty"`
}

// statementStore keeps recent statements for GET and cancel: at most
// keepStatements of them, and results of at most keepResultBytes in all, so
// that results the clients never fetch cannot pile up (each one may be up
// to engine.MaxResultBytes). The oldest go first, as results expire in
// Databricks too.
type statementStore struct {
	mu    sync.Mutex
	items map[string]*statement
	order []string
	bytes int64 // sum of the kept statements' size
}

type statement struct {
	// owner is the client id that submitted the statement: only it may
	// read, page or cancel it (results hold rows of its grants, not the
	// reader's).
	owner string
	// size estimates the memory of the result (guarded by the store's mu).
	size int64
	mu   sync.Mutex
	resp StatementResponse
	// chunks are the result's chunks; resp.Result is the first.
	chunks []resultData
	cancel context.CancelFunc
	done   chan struct{}
}

const (
	keepStatements  = 1000
	keepResultBytes = 256 << 20 // ten results of the largest size
)

func newStatementStore() *statementStore { return &statementStore{items: map[string]*statement{}} }

func (ss *statementStore) add(st *statement) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	ss.items[st.resp.StatementID] = st
	ss.order = append(ss.order, st.resp.StatementID)
	ss.evict(st.resp.StatementID)
}

// setSize records the size of st's result and evicts older statements
// until the store is within its budget again.
func (ss *statementStore) setSize(st *statement, size int64) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.items[st.resp.StatementID] != st {
		return // already evicted
	}
	ss.bytes += size - st.size
	st.size = size
	ss.evict(st.resp.StatementID)
}

// evict drops the oldest statements, never keep, while the store is over
// either budget (caller holds mu).
func (ss *statementStore) evict(keep string) {
	for i := 0; i < len(ss.order) && (len(ss.order) > keepStatements || ss.bytes > keepResultBytes); {
		id := ss.order[i]
		if id == keep {
			i++
			continue
		}
		ss.bytes -= ss.items[id].size
		delete(ss.items, id)
		ss.order = append(ss.order[:i], ss.order[i+1:]...)
	}
}

// resultSize estimates the memory a result holds: its cell texts plus a
// pointer and string header per cell.
func resultSize(res *engine.Result) int64 {
	var n int64
	for _, row := range res.Rows {
		for _, c := range row {
			n += 24
			if c != nil {
				n += int64(len(*c))
			}
		}
	}
	return n
}

func (ss *statementStore) get(id string) (*statement, bool) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	st, ok := ss.items[id]
	return st, ok
}

func (ss *statementStore) cancelAll() {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	for _, st := range ss.items {
		st.cancel()
	}
}

func (st *statement) snapshot() StatementResponse {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.resp
}

func (s *Server) statementRoutes(r *mux.Router) {
	r.HandleFunc("/api/2.0/sql/statements", s.handle(s.authed(s.executeStatement))).Methods(http.MethodPost)
	r.HandleFunc("/api/2.0/sql/statements/", s.handle(s.authed(s.executeStatement))).Methods(http.MethodPost)
	r.HandleFunc("/api/2.0/sql/statements/{id}", s.handle(s.authed(s.getStatement))).Methods(http.MethodGet)
	r.HandleFunc("/api/2.0/sql/statements/{id}/cancel", s.handle(s.authed(s.cancelStatement))).Methods(http.MethodPost)
	r.HandleFunc("/api/2.0/sql/statements/{id}/result/chunks/{chunk}", s.handle(s.authed(s.getChunk))).Methods(http.MethodGet)
}

// checkDisposition accepts what zbemu serves, INLINE results in JSON_ARRAY,
// and refuses the rest with the errors a Databricks warehouse answers when
// it does not serve them (as quoted in
// https://github.com/databricks/appkit/issues/242): EXTERNAL_LINKS with
// NOT_IMPLEMENTED, another format inline with INVALID_PARAMETER_VALUE.
func checkDisposition(disposition, format string) error {
	switch d := strings.ToUpper(disposition); d {
	case "", "INLINE":
	case "EXTERNAL_LINKS":
		return &httpError{http.StatusNotImplemented, "NOT_IMPLEMENTED", "ExternalLinks disposition is not yet implemented (zbemu serves INLINE results only)"}
	default:
		return badRequest(fmt.Sprintf("disposition must be INLINE or EXTERNAL_LINKS, got %q", disposition))
	}
	switch f := strings.ToUpper(format); f {
	case "", "JSON_ARRAY":
	case "ARROW_STREAM", "CSV":
		return badRequest("Inline disposition only supports JSON_ARRAY format")
	default:
		return badRequest(fmt.Sprintf("format must be JSON_ARRAY, ARROW_STREAM or CSV, got %q", format))
	}
	return nil
}

// parseWaitTimeout accepts "0s" (asynchronous) or "5s".."50s"; default 10s.
func parseWaitTimeout(v string) (time.Duration, error) {
	if v == "" {
		return 10 * time.Second, nil
	}
	n, err := strconv.Atoi(strings.TrimSuffix(v, "s"))
	if err != nil || !strings.HasSuffix(v, "s") || (n != 0 && (n < 5 || n > 50)) {
		return 0, badRequest(fmt.Sprintf("wait_timeout must be \"0s\" or between \"5s\" and \"50s\", got %q", v))
	}
	return time.Duration(n) * time.Second, nil
}

func (s *Server) executeStatement(w http.ResponseWriter, r *http.Request, id *engine.Identity) error {
	var req statementRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if strings.TrimSpace(req.Statement) == "" {
		return badRequest("field \"statement\" is required")
	}
	if err := checkDisposition(req.Disposition, req.Format); err != nil {
		return err
	}
	wait, err := parseWaitTimeout(req.WaitTimeout)
	if err != nil {
		return err
	}
	if req.RowLimit < 0 || req.ByteLimit < 0 {
		return badRequest(fmt.Sprintf("row_limit and byte_limit must be positive (or absent for no limit), got %d and %d", req.RowLimit, req.ByteLimit))
	}
	params := make([]engine.Param, len(req.Parameters))
	for i, p := range req.Parameters {
		if p.Name == "" {
			return badRequest(fmt.Sprintf("parameters[%d]: field \"name\" is required", i))
		}
		params[i] = engine.Param{Name: p.Name, Value: p.Value, Type: p.Type}
	}
	// The statement outlives this request when it runs asynchronously.
	ctx, cancel := context.WithCancel(context.WithoutCancel(r.Context()))
	st := &statement{owner: id.ClientID, cancel: cancel, done: make(chan struct{}),
		resp: StatementResponse{StatementID: uuid.NewString(), Status: statementStatus{State: "RUNNING"}}}
	s.stmts.add(st)
	go func() {
		defer close(st.done)
		defer cancel()
		res, err := s.e.Execute(ctx, engine.StatementRequest{SQL: req.Statement, Catalog: req.Catalog, Schema: req.Schema, Params: params, Identity: id,
			RowLimit: req.RowLimit, ByteLimit: req.ByteLimit})
		st.mu.Lock()
		defer st.mu.Unlock()
		if st.resp.Status.State == "CANCELED" {
			return
		}
		if err != nil {
			s.logFailure(ctx, "statement failed", err, "statement_id", st.resp.StatementID, "principal", id.ClientID, "catalog", req.Catalog, "schema", req.Schema)
			st.resp.Status = failedStatus(err)
			return
		}
		st.resp.Status = statementStatus{State: "SUCCEEDED"}
		st.resp.Manifest, st.chunks = shapeResult(res, st.resp.StatementID, engine.ChunkBytes)
		st.resp.Result = &st.chunks[0]
		s.stmts.setSize(st, resultSize(res))
	}()
	if wait > 0 {
		select {
		case <-st.done:
		case <-time.After(wait):
			if strings.EqualFold(req.OnWaitTimeout, "CANCEL") {
				s.cancel(st)
			}
		}
	}
	resp := st.snapshot()
	if resp.Status.State == "RUNNING" {
		resp.Status.State = "PENDING"
	}
	if wait == 0 {
		// Asynchronous mode answers PENDING and the id only, even when a
		// fast statement has already finished; the client polls for the
		// outcome, as it must against Databricks.
		resp = StatementResponse{StatementID: resp.StatementID, Status: statementStatus{State: "PENDING"}}
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// failedStatus is the status of a statement that failed with err, as
// Databricks reports it: error_code from ServiceErrorCode (the category's
// StatementCode in engine.Categories, the one error table), a message
// "[ERROR_CLASS] text SQLSTATE: xxxxx" and sql_state.
func failedStatus(err error) statementStatus {
	_, code, msg := classify(err)
	state := engine.SQLState(err)
	if code != engine.Internal.Code {
		code = engine.Classify(err).StatementCode
		msg = engine.Detail(err)
		if class := engine.ErrorClass(err); class != "" && !strings.HasPrefix(msg, "["+class+"]") {
			msg = "[" + class + "] " + msg
		}
	} else {
		code = engine.Internal.StatementCode
	}
	return statementStatus{State: "FAILED", Error: &APIError{ErrorCode: code, Message: withSQLState(msg, state)}, SQLState: state}
}

// withSQLState ends a failed statement's message with its SQLSTATE as
// Databricks does ("... cannot be found. ... SQLSTATE: 42P01"), before
// DuckDB's "LINE n:" excerpt of the statement, which Databricks also shows
// after it (https://docs.databricks.com/aws/en/error-messages/).
func withSQLState(msg, state string) string {
	tag := " SQLSTATE: " + state
	if i := strings.Index(msg, "\n\nLINE "); i >= 0 {
		return msg[:i] + tag + msg[i:]
	}
	return msg + tag
}

// shapeResult builds the manifest and the chunks of a result of statement
// id, each of at most maxChunk bytes (engine.Result.Chunks); the engine has
// applied row_limit and byte_limit while reading it.
func shapeResult(res *engine.Result, id string, maxChunk int64) (*manifest, []resultData) {
	rows := res.Rows
	if rows == nil {
		rows = [][]*string{}
	}
	bounds := res.Chunks(maxChunk)
	m := &manifest{Format: "JSON_ARRAY", TotalChunkCount: len(bounds), TotalRowCount: len(rows), Truncated: res.Truncated}
	m.Schema.ColumnCount = len(res.Columns)
	m.Schema.Columns = make([]columnInfo, len(res.Columns))
	for i, c := range res.Columns {
		m.Schema.Columns[i] = columnInfo{Name: c.Name, TypeText: c.TypeText, TypeName: c.TypeName, Position: i, TypeIntervalType: c.IntervalType}
		if c.TypeName == "DECIMAL" {
			m.Schema.Columns[i].TypePrecision, m.Schema.Columns[i].TypeScale = &c.Precision, &c.Scale
		}
	}
	chunks := make([]resultData, len(bounds))
	for i, b := range bounds {
		m.Chunks = append(m.Chunks, chunkInfo{ChunkIndex: i, RowOffset: b[0], RowCount: b[1]})
		chunks[i] = resultData{ChunkIndex: i, RowOffset: b[0], RowCount: b[1], DataArray: rows[b[0] : b[0]+b[1]]}
		if i+1 < len(bounds) {
			next := i + 1
			chunks[i].NextChunkIndex = &next
			chunks[i].NextChunkInternalLink = fmt.Sprintf("/api/2.0/sql/statements/%s/result/chunks/%d", id, next)
		}
	}
	return m, chunks
}

func (s *Server) lookupStatement(r *http.Request, caller *engine.Identity) (*statement, error) {
	id := mux.Vars(r)["id"]
	st, ok := s.stmts.get(id)
	if !ok {
		return nil, &httpError{http.StatusNotFound, "RESOURCE_DOES_NOT_EXIST", fmt.Sprintf("statement %q does not exist (zbemu keeps the last %d statements)", id, keepStatements)}
	}
	if st.owner != caller.ClientID {
		return nil, &httpError{http.StatusForbidden, "PERMISSION_DENIED", fmt.Sprintf("statement %q was submitted by another principal; only its owner may read or cancel it", id)}
	}
	return st, nil
}

func (s *Server) getStatement(w http.ResponseWriter, r *http.Request, id *engine.Identity) error {
	st, err := s.lookupStatement(r, id)
	if err != nil {
		return err
	}
	resp := st.snapshot()
	writeJSON(w, http.StatusOK, resp)
	return nil
}

func (s *Server) getChunk(w http.ResponseWriter, r *http.Request, id *engine.Identity) error {
	st, err := s.lookupStatement(r, id)
	if err != nil {
		return err
	}
	st.mu.Lock()
	chunks := st.chunks
	st.mu.Unlock()
	raw := mux.Vars(r)["chunk"]
	if len(chunks) == 0 {
		return &httpError{http.StatusNotFound, "RESOURCE_DOES_NOT_EXIST", fmt.Sprintf("statement %s has no result (it is %s)", st.resp.StatementID, st.snapshot().Status.State)}
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < 0 || n >= len(chunks) {
		return &httpError{http.StatusNotFound, "RESOURCE_DOES_NOT_EXIST",
			fmt.Sprintf("statement %s has no result chunk %q (it has %d: chunk_index 0 to %d)", st.resp.StatementID, raw, len(chunks), len(chunks)-1)}
	}
	writeJSON(w, http.StatusOK, chunks[n])
	return nil
}

func (s *Server) cancel(st *statement) {
	st.mu.Lock()
	if st.resp.Status.State == "RUNNING" || st.resp.Status.State == "PENDING" {
		st.resp.Status = statementStatus{State: "CANCELED"}
	}
	st.mu.Unlock()
	st.cancel()
}

func (s *Server) cancelStatement(w http.ResponseWriter, r *http.Request, id *engine.Identity) error {
	st, err := s.lookupStatement(r, id)
	if err != nil {
		return err
	}
	s.cancel(st)
	writeJSON(w, http.StatusOK, struct{}{})
	return nil
}
