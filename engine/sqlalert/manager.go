package sqlalert

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/zbemu/zbemu/engine"
)

// Executor runs alert queries as a principal; *engine.Engine implements it.
type Executor interface {
	Execute(ctx context.Context, req engine.StatementRequest) (*engine.Result, error)
	PrincipalIdentity(ctx context.Context, clientID string) (*engine.Identity, error)
}

// EventSink records alert state changes (system.zbemu.alert_events);
// package systables implements it. It must not block for long.
type EventSink interface {
	AlertEvent(ev Event)
}

// Event is one change of an alert's state (or a re-trigger).
type Event struct {
	Time          time.Time
	AlertID       string
	Alert         string // display name
	State         string
	PreviousState string
	RowCount      int64
	Sample        string // JSON array of up to SampleRows result rows, when TRIGGERED
	Message       string
	Query         string
	WebhookURL    string // the webhooks notified, comma separated
	WebhookStatus string // "200 OK", "error: ...", or empty without a webhook
}

// Defaults and bounds of Options and evaluation.
const (
	DefaultInterval = 30 * time.Second
	DefaultTimeout  = 30 * time.Second
	// SampleRows is how many result rows an event and its webhook carry.
	SampleRows = 10
	// MaxEvalRows bounds the rows an evaluation reads (and aggregates).
	MaxEvalRows = 10_000
	// DefaultPageSize and MaxPageSize bound a list page.
	DefaultPageSize = 100
	MaxPageSize     = 1000
)

// Options configure a Manager. Zero values mean the documented defaults.
type Options struct {
	// Path is the SQLite file (<data>/alerts.db); empty keeps everything in memory.
	Path string
	// Interval is the evaluation interval of zbemu alert API rules created
	// without one (default 30s).
	Interval time.Duration
	// Tick is how often due alerts are looked for (default 1s).
	Tick time.Duration
	// Timeout bounds one query and one webhook call (default 30s).
	Timeout time.Duration
	// HTTPClient posts to webhooks; nil means a client with Timeout.
	HTTPClient *http.Client
	// Events records state changes; nil only logs them.
	Events EventSink
	// WorkspaceID goes into webhook bodies.
	WorkspaceID string
	// Logger receives state changes and failures; nil discards them.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Manager keeps the saved queries, alerts and notification destinations
// of a workspace and evaluates the alerts on their schedules. It is safe
// for concurrent use and owns one goroutine from Open to Close.
type Manager struct {
	exec Executor
	st   *store
	opts Options
	log  *slog.Logger

	// mu guards the maps below; every change is written through to st
	// while mu is held, so memory and file never disagree.
	mu      sync.Mutex
	queries map[string]*queryRec
	alerts  map[string]*alertRec
	dests   map[string]*destRec
	next    map[string]time.Time // when each active alert is due

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// queryRec is a stored saved query.
type queryRec struct {
	Query Query `json:"query"`
	seq   int64
}

// destRec is a stored notification destination.
type destRec struct {
	Destination Destination `json:"destination"`
	Owner       string      `json:"owner"`
	seq         int64
}

// alertRec is a stored alert with zbemu's bookkeeping.
type alertRec struct {
	Alert Alert `json:"alert"`
	// Every replaces the cron schedule for rules of the zbemu alert API,
	// whose intervals (e.g. 45s) Quartz cannot always express.
	EveryMS      int64     `json:"every_ms,omitempty"`
	LastMessage  string    `json:"last_message,omitempty"`
	LastValue    *string   `json:"last_value,omitempty"`
	LastRowCount int64     `json:"last_row_count,omitempty"`
	NotifiedAt   time.Time `json:"notified_at,omitempty"`
	seq          int64
}

func (r *alertRec) every() time.Duration { return time.Duration(r.EveryMS) * time.Millisecond }

// Open loads the store and starts evaluating the active alerts.
func Open(ctx context.Context, exec Executor, opts Options) (*Manager, error) {
	if opts.Interval <= 0 {
		opts.Interval = DefaultInterval
	}
	if opts.Tick <= 0 {
		opts.Tick = time.Second
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{Timeout: opts.Timeout}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	st, err := openStore(ctx, opts.Path)
	if err != nil {
		return nil, err
	}
	m := &Manager{exec: exec, st: st, opts: opts, log: opts.Logger, queries: map[string]*queryRec{},
		alerts: map[string]*alertRec{}, dests: map[string]*destRec{}, next: map[string]time.Time{}}
	err = st.load(ctx, kindQuery, func(seq int64, b []byte) error {
		r := &queryRec{seq: seq}
		if err := json.Unmarshal(b, r); err != nil {
			return err
		}
		m.queries[r.Query.ID] = r
		return nil
	})
	if err == nil {
		err = st.load(ctx, kindDestination, func(seq int64, b []byte) error {
			r := &destRec{seq: seq}
			if err := json.Unmarshal(b, r); err != nil {
				return err
			}
			m.dests[r.Destination.ID] = r
			return nil
		})
	}
	if err == nil {
		err = st.load(ctx, kindAlert, func(seq int64, b []byte) error {
			r := &alertRec{seq: seq}
			if err := json.Unmarshal(b, r); err != nil {
				return err
			}
			m.alerts[r.Alert.ID] = r
			m.schedule(r, true)
			return nil
		})
	}
	if err != nil {
		st.db.Close()
		return nil, err
	}
	m.ctx, m.cancel = context.WithCancel(context.Background())
	m.wg.Add(1)
	go func() { defer m.wg.Done(); m.run() }()
	return m, nil
}

// Close stops the evaluator, waiting for an evaluation in progress, and
// closes the store.
func (m *Manager) Close(ctx context.Context) error {
	m.cancel()
	done := make(chan struct{})
	go func() { m.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		return fmt.Errorf("close alerts: %w", ctx.Err())
	}
	return m.st.db.Close()
}

func newID() string { return uuid.NewString() }

// apiTime is the timestamp format of the API.
func apiTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

func (m *Manager) now() time.Time { return m.opts.Now().UTC() }

// schedule sets when r is next due (none while trashed or paused). A rule
// of the zbemu alert API runs every interval (its cron expression, if any,
// only says the same to Alerts API clients); first makes it due at once,
// as it always was.
// Called with mu held.
func (m *Manager) schedule(r *alertRec, first bool) {
	a := &r.Alert
	if a.LifecycleState != Active || a.Schedule.PauseStatus == "PAUSED" {
		delete(m.next, a.ID)
		return
	}
	now := m.opts.Now()
	if every := r.every(); every > 0 {
		if first {
			m.next[a.ID] = now
		} else {
			m.next[a.ID] = now.Add(every)
		}
		return
	}
	c, loc, err := a.Schedule.parse()
	if err != nil {
		delete(m.next, a.ID) // validated when stored; never happens
		return
	}
	m.next[a.ID] = c.next(now.In(loc))
}

// owns says whether who may see and change an object owned by owner:
// its owner and workspace admins (zbemu has no sharing of alerts and
// queries).
func owns(who *engine.Identity, owner string) bool { return who.Admin || who.ClientID == owner }

func denied(who *engine.Identity, kind, id, owner string) error {
	return fmt.Errorf("%w: principal %q may not use %s %s, which belongs to %q; only its owner and workspace admins may", ErrDenied, who.ClientID, kind, id, owner)
}

// page cuts a list (sorted by seq) after the page token, returning the
// next token ("" at the end).
func page[T any](items []T, seqOf func(T) int64, pageSize int, token string) ([]T, string, error) {
	switch {
	case pageSize < 0 || pageSize > MaxPageSize:
		return nil, "", fmt.Errorf("%w: page_size must be from 0 to %d, got %d", ErrInvalid, MaxPageSize, pageSize)
	case pageSize == 0:
		pageSize = DefaultPageSize
	}
	var after int64
	if token != "" {
		n, err := strconv.ParseInt(token, 10, 64)
		if err != nil || n < 0 {
			return nil, "", fmt.Errorf("%w: page_token %q is not a token this API returned", ErrInvalid, token)
		}
		after = n
	}
	sort.Slice(items, func(i, j int) bool { return seqOf(items[i]) < seqOf(items[j]) })
	i := sort.Search(len(items), func(i int) bool { return seqOf(items[i]) > after })
	items = items[i:]
	if len(items) <= pageSize {
		return items, "", nil
	}
	return items[:pageSize], strconv.FormatInt(seqOf(items[pageSize-1]), 10), nil
}
