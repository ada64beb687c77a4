package engine_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/zbemu/zbemu/engine"
)

// TestErrorsLeadToTheNextStep: a refused request says what was written
// (nothing), lists its failing records, and an unknown field names the
// ways to accept it.
func TestErrorsLeadToTheNextStep(t *testing.T) {
	e := openEngine(t, "memory", "")
	exec(t, e, "CREATE TABLE main.default.n (id BIGINT NOT NULL, ts TIMESTAMP)")
	bad := func(i int) string { return fmt.Sprintf(`{"id":"x%d"}`, i) }
	good := func(i int) string { return fmt.Sprintf(`{"id":%d}`, i) }
	var many []string
	for i := range 30 {
		if i%2 == 1 {
			many = append(many, bad(i))
		} else {
			many = append(many, good(i))
		}
	}
	tests := []struct {
		name    string
		records []string
		want    []string
		notWant []string
	}{
		{"one record: no batch summary", []string{bad(0)}, []string{`record 0: column "id"`}, []string{"No record of this request"}},
		{"batch lists every failing record", []string{good(0), bad(1), good(2), bad(3)},
			[]string{"record 1: ", "No record of this request was written: 2 of its 4 records fail", `[index 3: column "id"`, "Fix them"}, []string{"more"}},
		{"batch lists the first ten", many,
			[]string{"15 of its 30 records fail", "[index 19:", "and 5 more"}, []string{"[index 21:"}},
		{"unknown field suggests the next step", []string{`{"id":1,"temp":20.5}`},
			[]string{`field "temp"`, "ALTER TABLE main.default.n ADD COLUMNS (temp DOUBLE)", "SET TAGS ('zerobus-rescue')", "'zbemu.autoMerge' = 'true'"}, nil},
		{"near miss keeps its suggestion alone", []string{`{"Id":1}`}, []string{`hint: did you mean "id"?`}, []string{"ADD COLUMNS"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := insertJSON(e, "main.default.n", tc.records...)
			if !errors.Is(err, engine.ErrInvalidRecord) {
				t.Fatalf("err = %v, want an invalid record", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%q lacks %q", err, w)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(err.Error(), w) {
					t.Errorf("%q has %q", err, w)
				}
			}
		})
	}
	if got := count(t, e, "main.default.n"); got != "0" {
		t.Errorf("refused requests wrote %s rows", got)
	}
}
