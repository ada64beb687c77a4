package web

import (
	"fmt"
	"testing"

	"github.com/zbemu/zbemu/engine"
)

// TestStatementStoreBudget checks that kept results stay within both
// budgets, oldest first, and that the statement being sized is kept even
// when it alone is over the byte budget.
func TestStatementStoreBudget(t *testing.T) {
	ss := newStatementStore()
	add := func(i int, size int64) *statement {
		st := &statement{resp: StatementResponse{StatementID: fmt.Sprint(i)}}
		ss.add(st)
		ss.setSize(st, size)
		return st
	}
	const mib = 1 << 20
	for i := range 10 {
		add(i, 25*mib)
	}
	if len(ss.items) != 10 || ss.bytes != 250*mib {
		t.Fatalf("10 results of 25 MiB: kept %d, %d bytes; want 10, %d", len(ss.items), ss.bytes, 250*mib)
	}
	add(10, 25*mib) // over 256 MiB: the oldest goes
	if _, ok := ss.get("0"); ok || len(ss.items) != 10 || ss.bytes != 250*mib {
		t.Fatalf("after the 11th: kept %d, %d bytes, oldest kept %v", len(ss.items), ss.bytes, ok)
	}
	big := add(11, 300*mib) // alone over the budget: everything else goes, it stays
	if len(ss.items) != 1 || ss.items["11"] != big || ss.bytes != 300*mib {
		t.Fatalf("after a 300 MiB result: kept %d, %d bytes", len(ss.items), ss.bytes)
	}
	for i := 12; i < 12+keepStatements+5; i++ {
		add(i, 0)
	}
	if len(ss.items) != keepStatements || len(ss.order) != keepStatements {
		t.Fatalf("count budget: kept %d items, %d in order; want %d", len(ss.items), len(ss.order), keepStatements)
	}
	if ss.bytes != 0 {
		t.Fatalf("bytes after the big result was evicted: %d, want 0", ss.bytes)
	}
}

func TestResultSize(t *testing.T) {
	a, b := "abc", "de"
	res := &engine.Result{Rows: [][]*string{{&a, nil}, {&b, &a}}}
	if got, want := resultSize(res), int64(4*24+3+2+3); got != want {
		t.Fatalf("resultSize = %d, want %d", got, want)
	}
}
