package dialect

import (
	"errors"
	"strings"
	"testing"
)

func TestTranslateTimeTravel(t *testing.T) {
	cases := []struct {
		in, want string
		refs     []string // Table|Version|Timestamp of each reference
	}{
		{"SELECT * FROM t VERSION AS OF 3", `SELECT * FROM (REL0) AS "t"`, []string{"t|3|"}},
		{"SELECT * FROM main.s.t VERSION AS OF 3 AS x WHERE x.a = 1", `SELECT * FROM (REL0) AS x WHERE x.a = 1`, []string{"main.s.t|3|"}},
		{"SELECT * FROM t version as of 3 x", `SELECT * FROM (REL0) x`, []string{"t|3|"}},
		{"SELECT * FROM t TIMESTAMP AS OF '2024-01-02 03:04:05'", `SELECT * FROM (REL0) AS "t"`, []string{"t||'2024-01-02 03:04:05'"}},
		{"SELECT * FROM t TIMESTAMP AS OF current_timestamp() - INTERVAL 12 HOURS WHERE a > 1",
			`SELECT * FROM (REL0) AS "t" WHERE a > 1`, []string{"t||current_timestamp - INTERVAL 12 HOURS"}},
		{"SELECT * FROM t TIMESTAMP AS OF date_sub(current_date(), 1) y", `SELECT * FROM (REL0) y`, []string{"t||date_add(CAST(current_date AS DATE), -CAST(1 AS INTEGER))"}},
		{"SELECT * FROM t@v3", `SELECT * FROM (REL0) AS "t"`, []string{"t|3|"}},
		{"SELECT * FROM t@20240102030405006 AS z", `SELECT * FROM (REL0) AS z`, []string{"t||TIMESTAMPTZ '2024-01-02 03:04:05.006'"}},
		{"SELECT a.x, b.x FROM t VERSION AS OF 1 a JOIN t@v2 b ON a.id = b.id",
			`SELECT a.x, b.x FROM (REL0) a JOIN (REL1) b ON a.id = b.id`, []string{"t|1|", "t|2|"}},
		{"SELECT * FROM t WHERE id IN (SELECT id FROM `s`.`u` VERSION AS OF 0)",
			`SELECT * FROM t WHERE id IN (SELECT id FROM (REL0) AS "u")`, []string{"s.u|0|"}},
		{"SELECT * FROM t@v1 VERSION AS OF 2", `SELECT * FROM (REL0) AS "t"`, []string{"t|2||multiple"}},
		{"SELECT * FROM t@v1 TIMESTAMP AS OF '2024-01-01'", `SELECT * FROM (REL0) AS "t"`, []string{"t||'2024-01-01'|multiple"}},
		// Not time travel: a column aliased version, a cast.
		{"SELECT a version FROM t", `SELECT a version FROM t`, nil},
		{"SELECT CAST(a AS TIMESTAMP) AS ts FROM t", `SELECT CAST(a AS TIMESTAMPTZ) AS ts FROM t`, nil},
	}
	for _, c := range cases {
		var refs []string
		opts := TranslateOptions{TimeTravel: func(r TimeTravelRef) (string, error) {
			ref := strings.Join(r.Table.Parts, ".") + "|" + r.Version + "|" + r.Timestamp
			if r.Multiple {
				ref += "|multiple"
			}
			refs = append(refs, ref)
			return "(REL" + string(rune('0'+len(refs)-1)) + ")", nil
		}}
		got, err := Translate(c.in, opts)
		if err != nil || got != c.want || strings.Join(refs, ";") != strings.Join(c.refs, ";") {
			t.Errorf("Translate(%q)\n got %q %v refs %q\nwant %q refs %q", c.in, got, err, refs, c.want, c.refs)
		}
	}
}

func TestTranslateTimeTravelRefuses(t *testing.T) {
	cb := func(TimeTravelRef) (string, error) { return "(x)", nil }
	cases := []struct {
		in   string
		opts TranslateOptions
		want error
		text string
	}{
		{"SELECT * FROM t VERSION AS OF 1", TranslateOptions{}, ErrUnsupported, "VERSION AS OF"},
		{"SELECT * FROM t VERSION AS OF 1", TranslateOptions{TimeTravel: cb, Session: &Session{Stored: true}}, ErrUnsupported, "view"},
		{"SELECT * FROM t VERSION AS OF x", TranslateOptions{TimeTravel: cb}, ErrSyntax, "version number"},
		{"SELECT * FROM t TIMESTAMP AS OF (SELECT max(ts) FROM u)", TranslateOptions{TimeTravel: cb}, ErrUnsupported, "subquery"},
		{"SELECT * FROM t TIMESTAMP AS OF :ts", TranslateOptions{TimeTravel: cb}, ErrUnsupported, "parameter"},
		{"SELECT * FROM t@x", TranslateOptions{TimeTravel: cb}, ErrSyntax, "after @"},
		{"SELECT * FROM t@2024", TranslateOptions{TimeTravel: cb}, ErrSyntax, "yyyyMMddHHmmssSSS"},
	}
	for _, c := range cases {
		_, err := Translate(c.in, c.opts)
		if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.text) {
			t.Errorf("Translate(%q) = %v, want %v saying %q", c.in, err, c.want, c.text)
		}
	}
}

func TestParseRestore(t *testing.T) {
	cases := []struct{ in, want string }{
		{"RESTORE TABLE main.s.t TO VERSION AS OF 3", "main.s.t|3|"},
		{"restore t version as of 0;", "t|0|"},
		{"RESTORE TABLE t TO TIMESTAMP AS OF '2024-01-01'", "t||'2024-01-01'"},
	}
	for _, c := range cases {
		st, err := Parse(c.in)
		r, ok := st.(*RestoreTable)
		if err != nil || !ok {
			t.Errorf("Parse(%q) = %#v, %v", c.in, st, err)
			continue
		}
		if got := strings.Join(r.Name.Parts, ".") + "|" + r.To.Version + "|" + r.To.Timestamp; got != c.want {
			t.Errorf("Parse(%q) = %s, want %s", c.in, got, c.want)
		}
	}
	for _, bad := range []string{"RESTORE", "RESTORE TABLE", "RESTORE TABLE t", "RESTORE t TO", "RESTORE t TO VERSION AS OF", "RESTORE t TO VERSION AS OF 1 2", "RESTORE t TO t@v1"} {
		if _, err := Parse(bad); !errors.Is(err, ErrSyntax) {
			t.Errorf("Parse(%q) = %v, want a syntax error", bad, err)
		}
	}
}
