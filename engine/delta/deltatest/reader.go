package deltatest

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
)

// Snapshot is a table at one version as a reader sees it.
type Snapshot struct {
	Version    int64
	Schema     map[string]any // the parsed schemaString
	Partitions []string
	Config     map[string]any
	Protocol   map[string]any
	Files      map[string]map[string]any // live add actions by path
	Removed    map[string]map[string]any // remove actions by path
	Txn        map[string]int64
	Ops        []string // commitInfo operations of versions 0..version
}

// Replay reconciles the table at dir up to version, from version 0's
// JSON; with checkpoint, from the checkpoint at cp and the JSON after it.
func Replay(t testing.TB, dir string, version, cp int64) *Snapshot {
	t.Helper()
	s := &Snapshot{Version: version, Files: map[string]map[string]any{}, Removed: map[string]map[string]any{}, Txn: map[string]int64{}}
	from := int64(0)
	if cp >= 0 {
		for _, row := range ReadParquetRows(t, filepath.Join(dir, "_delta_log", fmt.Sprintf("%020d.checkpoint.parquet", cp))) {
			action := map[string]any{}
			for k, v := range row {
				if v != nil {
					action[k] = v
				}
			}
			if len(action) != 1 {
				t.Fatalf("checkpoint %d: a row holds %d actions: %v", cp, len(action), row)
			}
			s.apply(t, action)
		}
		from = cp + 1
	}
	for v := from; v <= version; v++ {
		data, err := os.ReadFile(filepath.Join(dir, "_delta_log", fmt.Sprintf("%020d.json", v)))
		if err != nil {
			t.Fatalf("version %d: %v", v, err)
		}
		for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
			var action map[string]any
			if err := json.Unmarshal([]byte(line), &action); err != nil {
				t.Fatalf("version %d: %v", v, err)
			}
			if len(action) != 1 {
				t.Fatalf("version %d: a line holds %d actions", v, len(action))
			}
			s.apply(t, action)
		}
	}
	if s.Schema == nil || s.Protocol == nil {
		t.Fatalf("version %d: no metaData or protocol", version)
	}
	return s
}

func (s *Snapshot) apply(t testing.TB, action map[string]any) {
	for kind, body := range action {
		a, _ := body.(map[string]any)
		switch kind {
		case "protocol":
			s.Protocol = a
		case "metaData":
			if err := json.Unmarshal([]byte(a["schemaString"].(string)), &s.Schema); err != nil {
				t.Fatal(err)
			}
			s.Partitions = nil
			for _, p := range asList(a["partitionColumns"]) {
				s.Partitions = append(s.Partitions, p.(string))
			}
			s.Config, _ = asMap(a["configuration"])
		case "add":
			p := a["path"].(string)
			s.Files[p] = a
			delete(s.Removed, p)
		case "remove":
			p := a["path"].(string)
			delete(s.Files, p)
			s.Removed[p] = a
		case "txn":
			s.Txn[a["appId"].(string)] = toInt(a["version"])
		case "commitInfo":
			s.Ops = append(s.Ops, a["operation"].(string))
		}
	}
}

// asList and asMap accept both JSON's and parquet-go's shapes (a MAP
// column reads as a map, a list as a slice).
func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

func asMap(v any) (map[string]any, bool) {
	m, ok := v.(map[string]any)
	return m, ok
}

func toInt(v any) int64 {
	switch n := v.(type) {
	case float64:
		return int64(n)
	case json.Number:
		i, _ := n.Int64()
		return i
	}
	i, _ := strconv.ParseInt(fmt.Sprint(v), 10, 64)
	return i
}

// ReadParquetRows reads a Parquet file's rows as maps. parquet-go turns
// DECIMAL values into floats, so top-level DECIMAL columns are read again
// as their raw unscaled integers (rawDecimal values).
func ReadParquetRows(t testing.TB, path string) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, _ := f.Stat()
	pf, err := parquet.OpenFile(f, fi.Size())
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	r := parquet.NewGenericReader[map[string]any](f, pf.Schema())
	defer r.Close()
	var out []map[string]any
	for {
		buf := make([]map[string]any, 64)
		for i := range buf {
			buf[i] = map[string]any{}
		}
		n, err := r.Read(buf)
		out = append(out, buf[:n]...)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
	}
	decimals := map[int]string{}
	for _, fl := range pf.Schema().Fields() {
		if lt := fl.Type().LogicalType(); fl.Leaf() && lt != nil && strings.HasPrefix(lt.String(), "DECIMAL") {
			leaf, _ := pf.Schema().Lookup(fl.Name())
			decimals[leaf.ColumnIndex] = fl.Name()
		}
	}
	if len(decimals) == 0 {
		return out
	}
	rr := parquet.NewReader(f, pf.Schema())
	defer rr.Close()
	rows := make([]parquet.Row, len(out))
	n, err := rr.ReadRows(rows)
	if n != len(out) || (err != nil && !errors.Is(err, io.EOF)) {
		t.Fatalf("%s: read %d raw rows of %d: %v", path, n, len(out), err)
	}
	for i, row := range rows[:n] {
		for _, v := range row {
			if name, ok := decimals[v.Column()]; ok && !v.IsNull() {
				switch v.Kind() {
				case parquet.Int32, parquet.Int64:
					out[i][name] = rawDecimal{unscaled: big.NewInt(v.Int64())}
				default:
					out[i][name] = rawDecimal{unscaled: twosComplement(v.ByteArray())}
				}
			}
		}
	}
	return out
}

// rawDecimal is a DECIMAL value as stored: its unscaled integer.
type rawDecimal struct{ unscaled *big.Int }

func twosComplement(b []byte) *big.Int {
	n := new(big.Int).SetBytes(b)
	if len(b) > 0 && b[0]&0x80 != 0 {
		n.Sub(n, new(big.Int).Lsh(big.NewInt(1), uint(8*len(b))))
	}
	return n
}

// field is a top-level column of the snapshot's schema.
type field struct {
	name, phys string
	typ        any
	variant    bool // a VARIANT stored as JSON text
}

func (s *Snapshot) fields() []field {
	var out []field
	for _, f := range asList(s.Schema["fields"]) {
		m := f.(map[string]any)
		fl := field{name: m["name"].(string), typ: m["type"]}
		fl.phys = fl.name
		if md, ok := asMap(m["metadata"]); ok {
			if p, ok := md["delta.columnMapping.physicalName"].(string); ok && s.Config["delta.columnMapping.mode"] == "name" {
				fl.phys = p
			}
			fl.variant = md["zbemu.type"] == "variant"
		}
		out = append(out, fl)
	}
	return out
}

// rows reads the snapshot's rows, rendered as the Statement API renders
// them, one string per row with the column values joined by |, sorted.
func (s *Snapshot) Rows(t testing.TB, dir string) []string {
	t.Helper()
	fields := s.fields()
	var out []string
	for p, add := range s.Files {
		rel, err := url.PathUnescape(p)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, filepath.FromSlash(rel))
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatalf("version %d names a missing file: %v", s.Version, err)
		}
		if toInt(add["size"]) != fi.Size() {
			t.Errorf("add %s: size %v, file has %d bytes", p, add["size"], fi.Size())
		}
		rows := ReadParquetRows(t, path)
		var stats struct {
			NumRecords int64 `json:"numRecords"`
		}
		if err := json.Unmarshal([]byte(add["stats"].(string)), &stats); err != nil || stats.NumRecords != int64(len(rows)) {
			t.Errorf("add %s: stats %v say %d records, the file has %d", p, add["stats"], stats.NumRecords, len(rows))
		}
		pv, _ := asMap(add["partitionValues"])
		for _, row := range rows {
			vals := make([]string, len(fields))
			for i, f := range fields {
				var v any
				if slices.Contains(s.Partitions, f.name) {
					switch sv := pv[f.phys].(type) {
					case string:
						v = sv
					case []byte: // parquet-go's MAP values
						v = string(sv)
					case *[]byte:
						if sv != nil {
							v = string(*sv)
						}
					}
					vals[i] = renderValue(f.typ, v, true)
					continue
				}
				vals[i] = renderValue(f.typ, row[f.phys], false)
				if f.variant && vals[i] != "NULL" {
					vals[i] = CanonicalSQLRow([]*string{&vals[i]}, map[int]string{0: "nested"})
				}
			}
			out = append(out, strings.Join(vals, "|"))
		}
	}
	sort.Strings(out)
	return out
}

// renderValue renders a value read from Parquet (or a partition value's
// text) as the Statement API renders the column type.
func renderValue(typ any, v any, partition bool) string {
	if v == nil {
		return "NULL"
	}
	if partition {
		return v.(string)
	}
	name, _ := typ.(string)
	switch {
	case name == "float":
		return strconv.FormatFloat(float64(v.(float32)), 'g', -1, 32)
	case name == "double":
		return strconv.FormatFloat(v.(float64), 'g', -1, 64)
	case name == "date":
		return time.Unix(toInt(v)*86400, 0).UTC().Format("2006-01-02")
	case name == "timestamp":
		return time.UnixMicro(toInt(v)).UTC().Format("2006-01-02T15:04:05.000Z")
	case name == "timestamp_ntz":
		return time.UnixMicro(toInt(v)).UTC().Format("2006-01-02T15:04:05.000")
	case name == "binary":
		if b, ok := v.(string); ok {
			return base64.StdEncoding.EncodeToString([]byte(b))
		}
		return base64.StdEncoding.EncodeToString(v.([]byte))
	case strings.HasPrefix(name, "decimal("):
		var scale int
		fmt.Sscanf(name[strings.IndexByte(name, ',')+1:], "%d", &scale)
		unscaled := v.(rawDecimal).unscaled
		r := new(big.Rat).SetFrac(unscaled, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale)), nil))
		return r.FloatString(scale)
	case name == "":
		// Nested values: JSON, compared after decoding.
		b, _ := json.Marshal(normalizeNested(v))
		return string(b)
	}
	return fmt.Sprint(v)
}

// normalizeNested makes a nested value's JSON comparable with the
// Statement API's: numbers as JSON numbers, objects with sorted keys.
func normalizeNested(v any) any {
	b, _ := json.Marshal(v)
	var out any
	json.Unmarshal(b, &out)
	return out
}

// CanonicalSQLRow renders a Statement API row as renderValue does, with
// nested values (JSON text, kind "nested") decoded and encoded again for a
// stable form and FLOAT and DOUBLE values (kinds "float", "double") in Go's
// shortest form.
func CanonicalSQLRow(row []*string, kinds map[int]string) string {
	vals := make([]string, len(row))
	for i, c := range row {
		switch {
		case c == nil:
			vals[i] = "NULL"
		case kinds[i] == "float" || kinds[i] == "double":
			bits := 64
			if kinds[i] == "float" {
				bits = 32
			}
			f, err := strconv.ParseFloat(*c, bits)
			if err != nil {
				vals[i] = *c
				break
			}
			vals[i] = strconv.FormatFloat(f, 'g', -1, bits)
		case kinds[i] == "nested":
			var v any
			if json.Unmarshal([]byte(*c), &v) != nil {
				vals[i] = *c
				break
			}
			b, _ := json.Marshal(v)
			vals[i] = string(b)
		default:
			vals[i] = *c
		}
	}
	return strings.Join(vals, "|")
}

// CheckSnapshot compares the rows of version v with want (SQL's rows,
// canonical and sorted).
func CheckSnapshot(t testing.TB, dir string, v int64, want []string) *Snapshot {
	t.Helper()
	s := Replay(t, dir, v, -1)
	got := s.Rows(t, dir)
	if !slices.Equal(got, want) {
		t.Errorf("version %d: Delta rows\n%s\nSQL rows\n%s", v, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	return s
}
