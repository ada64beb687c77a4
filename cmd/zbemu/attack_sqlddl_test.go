package main

import (
	"fmt"
	"strings"
	"testing"
)

// Attacks on views, CTAS, MERGE INTO, DESCRIBE DETAIL, SHOW TBLPROPERTIES
// and SHOW CREATE TABLE, by
//   - none:   a principal without grants;
//   - table:  USE CATALOG, USE SCHEMA and SELECT, MODIFY on main.default.t
//     only (no CREATE TABLE);
//   - admin:  the default principal.
//
// A view is read with its owner's rights (Unity Catalog), so the questions
// are whether a principal can make a view that reaches more than it may
// read itself, and whether a view keeps working once its owner loses
// access.
func TestAttackSQLDDL(t *testing.T) {
	t.Parallel()
	s := startServer(t, "", "--memory")
	for _, tbl := range []string{"t", "u"} {
		s.sql("CREATE TABLE main.default." + tbl + " " + eventsDDL)
	}
	s.sql("INSERT INTO main.default.u VALUES ('secret', TIMESTAMP '2024-01-01', 1.0)")
	s.sql("INSERT INTO main.default.t VALUES ('public', TIMESTAMP '2024-01-01', 2.0)")
	s.sql("CREATE VIEW main.default.v_u AS SELECT * FROM main.default.u")
	noneID, noneSecret := s.newPrincipal("attack-none")
	tableID, tableSecret := s.newPrincipal("attack-table")
	s.sql(fmt.Sprintf("GRANT USE CATALOG ON CATALOG main TO `%s`", tableID))
	s.sql(fmt.Sprintf("GRANT USE SCHEMA ON SCHEMA main.default TO `%s`", tableID))
	s.sql(fmt.Sprintf("GRANT SELECT, MODIFY ON TABLE main.default.t TO `%s`", tableID))
	tokens := []string{s.workspaceToken(noneID, noneSecret), s.workspaceToken(tableID, tableSecret), devToken}
	names := []string{"none", "table", "admin"}

	const (
		useCat  = "lacks USE CATALOG on CATALOG main"
		selU    = "lacks SELECT on TABLE main.default.u"
		selVU   = "lacks SELECT on TABLE main.default.v_u"
		create  = "lacks CREATE TABLE on SCHEMA main.default"
		sealed  = "zbemu runs SQL sealed"
		allDeny = "reserved for zbemu's and DuckDB's own metadata"
	)
	type attack struct {
		name string
		sql  string
		want [3]string // "" allowed, else a substring of the PERMISSION_DENIED message
	}
	attacks := []attack{
		{"view over u", "CREATE VIEW main.default.a1 AS SELECT * FROM main.default.u", [3]string{useCat, create, ""}},
		{"view over t", "CREATE VIEW main.default.a2 AS SELECT * FROM t", [3]string{useCat, create, ""}},
		{"read the admin's view over u", "SELECT * FROM main.default.v_u", [3]string{useCat, selVU, ""}},
		{"describe the admin's view", "DESCRIBE TABLE main.default.v_u", [3]string{useCat, selVU, ""}},
		{"view reaching __zbemu", "CREATE VIEW main.default.a3 AS SELECT * FROM main.__zbemu.tables", [3]string{useCat, create, allDeny}},
		{"view reaching main_db.__zbemu", "CREATE VIEW main.default.a4 AS SELECT * FROM main_db.__zbemu.history", [3]string{useCat, create, "the name main_db is reserved"}},
		{"view calling read_csv", "CREATE VIEW main.default.a5 AS SELECT * FROM read_csv('/etc/passwd')", [3]string{useCat, create, "function read_csv is not allowed"}},
		{"view calling getenv", "CREATE VIEW main.default.a6 AS SELECT getenv('HOME') AS h", [3]string{useCat, create, "function getenv is not allowed"}},
		{"view over a file path", "CREATE VIEW main.default.a7 AS SELECT * FROM '/etc/passwd'", [3]string{useCat, create, sealed}},
		{"view over information_schema", "CREATE VIEW main.default.a8 AS SELECT * FROM information_schema.tables", [3]string{useCat, create, "information_schema is reserved"}},
		{"CTAS from u", "CREATE TABLE main.default.c1 AS SELECT * FROM main.default.u", [3]string{useCat, create, ""}},
		{"MERGE into u from t", "MERGE INTO main.default.u USING main.default.t ON u.device_id = t.device_id WHEN MATCHED THEN DELETE", [3]string{useCat, selU, ""}},
		{"MERGE into t from u", "MERGE INTO main.default.t AS x USING main.default.u AS y ON x.device_id = y.device_id WHEN NOT MATCHED THEN INSERT *", [3]string{useCat, selU, ""}},
		{"MERGE into t from t", "MERGE INTO main.default.t AS x USING (SELECT * FROM main.default.t) AS y ON x.device_id = y.device_id WHEN MATCHED THEN UPDATE SET *", [3]string{useCat, "", ""}},
		{"MERGE calling read_csv", "MERGE INTO main.default.t USING read_csv('/etc/passwd') AS y ON true WHEN MATCHED THEN DELETE", [3]string{useCat, "function read_csv is not allowed", "function read_csv is not allowed"}},
		{"DESCRIBE DETAIL u", "DESCRIBE DETAIL main.default.u", [3]string{useCat, selU, ""}},
		{"SHOW TBLPROPERTIES u", "SHOW TBLPROPERTIES main.default.u", [3]string{useCat, selU, ""}},
		{"SHOW CREATE TABLE u", "SHOW CREATE TABLE main.default.u", [3]string{useCat, selU, ""}},
		{"SHOW CREATE TABLE t", "SHOW CREATE TABLE main.default.t", [3]string{useCat, "", ""}},
		{"DROP the admin's view", "DROP VIEW main.default.v_u", [3]string{useCat, "may not change", ""}},
	}
	for _, a := range attacks {
		for p, want := range a.want {
			t.Run(a.name+"/"+names[p], func(t *testing.T) {
				s.t = t
				status, code, msg := sqlAs(a.sql)(s, tokens[p])
				switch {
				case want == "" && code != "":
					t.Errorf("denied: %d %s %s", status, code, msg)
				case want != "" && (code != "PERMISSION_DENIED" || !strings.Contains(msg, want)):
					t.Errorf("got %d %s %q, want PERMISSION_DENIED containing %q", status, code, msg, want)
				}
			})
		}
	}
	s.t = t
	// The admin's DROP VIEW ran last; the view is gone, u is untouched.
	if rows := s.sql("SELECT count(*) FROM main.default.u"); *rows[0][0] != "1" {
		t.Errorf("u has %s rows", *rows[0][0])
	}

	t.Run("a view lends its owner's rights and loses them with the owner", func(t *testing.T) {
		s.t = t
		// With CREATE TABLE the table principal may wrap what it reads
		// (t), never what it does not (u), and may grant its view.
		s.sql(fmt.Sprintf("GRANT CREATE TABLE ON SCHEMA main.default TO `%s`", tableID))
		mustSQL := func(token, stmt, want string) {
			t.Helper()
			_, code, msg := sqlAs(stmt)(s, token)
			if want == "" && code != "" || want != "" && !strings.Contains(msg, want) {
				t.Errorf("%s: %s %q, want %q", stmt, code, msg, want)
			}
		}
		mustSQL(tokens[1], "CREATE VIEW main.default.over_u AS SELECT * FROM main.default.u", selU)
		mustSQL(tokens[1], "CREATE VIEW main.default.over_u AS SELECT * FROM main.default.t JOIN main.default.u USING (device_id)", selU)
		mustSQL(tokens[1], "CREATE VIEW main.default.tv AS SELECT device_id FROM t", "")
		mustSQL(tokens[1], fmt.Sprintf("GRANT SELECT ON VIEW main.default.tv TO `%s`", noneID), "")
		s.sql(fmt.Sprintf("GRANT USE CATALOG ON CATALOG main TO `%s`", noneID))
		s.sql(fmt.Sprintf("GRANT USE SCHEMA ON SCHEMA main.default TO `%s`", noneID))
		mustSQL(tokens[0], "SELECT * FROM main.default.tv", "")
		mustSQL(tokens[0], "SELECT * FROM main.default.t", "lacks SELECT on TABLE main.default.t")
		// The reader cannot widen the view: replacing it needs ownership.
		mustSQL(tokens[0], "CREATE OR REPLACE VIEW main.default.tv AS SELECT * FROM main.default.u", "may not change")
		// The owner loses SELECT on t: the view stops working for everyone but admins.
		s.sql(fmt.Sprintf("REVOKE SELECT, MODIFY ON TABLE main.default.t FROM `%s`", tableID))
		mustSQL(tokens[0], "SELECT * FROM main.default.tv", "its owner "+tableID+" may not read it any more")
		// Ingest into a view is refused, for admins too.
		code, body := s.call("POST", insertPath("main.default.tv"), devToken, `[{"device_id": "x"}]`)
		if c, m := apiErr(t, body); code != 400 || c != "INVALID_PARAMETER_VALUE" || !strings.Contains(m, "is a view") {
			t.Errorf("ingest into a view: %d %s %s", code, c, m)
		}
	})

	t.Run("bad input", func(t *testing.T) {
		s.t = t
		for _, c := range []struct{ stmt, code, want string }{
			{"CREATE VIEW main.default.`bad-name` AS SELECT 1 AS a", "BAD_REQUEST", "view name"},
			{"CREATE VIEW main.default.dup (a, A) AS SELECT 1, 2", "BAD_REQUEST", "two columns named"},
			{"CREATE VIEW main.default.cols (a, b) AS SELECT 1 AS a", "BAD_REQUEST", "names 2 columns but its query returns 1"},
			{"CREATE VIEW main.default.p AS SELECT :x AS a", "BAD_REQUEST", "parameter markers"},
			{"CREATE TEMPORARY VIEW tv AS SELECT 1", "BAD_REQUEST", "no sessions"},
			{"CREATE VIEW main.default.nope AS SELECT * FROM main.default.missing", "BAD_REQUEST", "missing"},
			{"MERGE INTO main.default.t USING main.default.u ON true WHEN MATCHED THEN UPDATE SET nope = 1", "BAD_REQUEST", "nope"},
			{"CREATE TABLE main.default.x AS SELECT count(*) FROM main.default.t", "BAD_REQUEST", "AS"},
		} {
			_, code, msg := sqlAs(c.stmt)(s, devToken)
			if code != c.code || !strings.Contains(msg, c.want) {
				t.Errorf("%s: %s %q, want %s containing %q", c.stmt, code, msg, c.code, c.want)
			}
		}
		// Views over views deeper than zbemu follows are refused.
		s.sql("CREATE VIEW main.default.d0 AS SELECT device_id FROM main.default.t")
		for i := 1; i <= 16; i++ {
			s.sql(fmt.Sprintf("CREATE VIEW main.default.d%d AS SELECT * FROM main.default.d%d", i, i-1))
		}
		s.sql(fmt.Sprintf("GRANT SELECT ON TABLE main.default.d16 TO `%s`", noneID))
		if _, code, msg := sqlAs("SELECT * FROM main.default.d16")(s, tokens[0]); code != "" {
			t.Errorf("16 nested views: %s %q", code, msg)
		}
		_, code, msg := sqlAs("CREATE VIEW main.default.d17 AS SELECT * FROM main.default.d16")(s, devToken)
		if code != "BAD_REQUEST" || !strings.Contains(msg, "nested deeper than 16") {
			t.Errorf("17 nested views: %s %q", code, msg)
		}
	})
}
