package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/zbemu/zbemu/web"
)

// sdkStep is one step of testdata/sdk/conformance.js: what the official
// SDK call returned, or the SDK's error.
type sdkStep struct {
	OK    bool            `json:"ok"`
	Value json.RawMessage `json:"value"`
	Error *struct {
		ErrorCode  string `json:"errorCode"`
		StatusCode int    `json:"statusCode"`
		Message    string `json:"message"`
	} `json:"error"`
}

// has reports whether the step's value, as JSON, contains every fragment.
func (s sdkStep) has(fragments ...string) string {
	for _, f := range fragments {
		if !bytes.Contains(s.Value, []byte(f)) {
			return fmt.Sprintf("value lacks %s", f)
		}
	}
	return ""
}

// TestConformanceOfficialSDK drives every workspace API zbemu serves with
// the official Databricks SDK for JavaScript (@databricks/sdk-experimental):
// the SDK must parse each answer into its model and raise its typed errors
// (errorCode, statusCode) on failures. Each step of conformance.js has one
// expectation here, and a step without one fails the test, so the two
// files stay in step.
func TestConformanceOfficialSDK(t *testing.T) {
	t.Parallel()
	env := sdkExperimental(t)
	s := startServer(t, "", "--memory")
	other, otherSecret := s.newPrincipal("conformance-other")
	in, _ := json.Marshal(map[string]string{"host": s.url, "token": devToken, "clientId": devID, "clientSecret": devSecret,
		"warehouseId": web.WarehouseID, "principal": other, "principalSecret": otherSecret})
	cmd := exec.Command("node", "testdata/sdk/conformance.js")
	cmd.Stdin = bytes.NewReader(in)
	cmd.Env = append(append(os.Environ(), "DATABRICKS_CONFIG_FILE="+filepath.Join(t.TempDir(), "none")), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	raw, err := cmd.Output()
	if err != nil {
		t.Fatalf("conformance.js: %v\n%s", err, stderr.String())
	}
	var steps map[string]sdkStep
	if err := json.Unmarshal(raw, &steps); err != nil {
		t.Fatalf("conformance.js output %q: %v", raw, err)
	}
	ok := func(fragments ...string) func(sdkStep) string {
		return func(st sdkStep) string { return st.has(fragments...) }
	}
	fails := func(status int, code, msg string) func(sdkStep) string {
		return func(st sdkStep) string {
			if st.OK || st.Error.StatusCode != status || st.Error.ErrorCode != code || !strings.Contains(st.Error.Message, msg) {
				return fmt.Sprintf("want the SDK's error %d %s containing %q", status, code, msg)
			}
			return ""
		}
	}
	patchRefused := fails(400, "INVALID_PARAMETER_VALUE", "PATCH without a body")
	want := map[string]func(sdkStep) string{
		"m2m.me":                  ok(`"userName":"`+devID+`"`, `"display":"admins"`, `"active":true`),
		"pat.me":                  ok(`"userName":"` + devID + `"`),
		"m2m.other.me":            ok(`"userName":"`+other+`"`, `"displayName":"conformance-other"`, `"groups":[]`),
		"m2m.other.catalogs.list": ok(`[]`),
		"m2m.badSecret.me": func(st sdkStep) string {
			return boolMsg(!st.OK && strings.Contains(st.Error.Message, "invalid_client"), "want invalid_client")
		},
		"m2m.catalogs.list":        ok(`["main","system"]`),
		"warehouses.list":          ok(`"id":"`+web.WarehouseID+`"`, `"state":"RUNNING"`),
		"warehouses.get":           ok(`"id":"`+web.WarehouseID+`"`, `"health":{"status":"HEALTHY"}`),
		"warehouses.get.missing":   fails(404, "RESOURCE_DOES_NOT_EXIST", web.WarehouseID),
		"catalogs.create":          ok(`"full_name":"conf"`, `"catalog_type":"MANAGED_CATALOG"`, `"owner":"`+devID+`"`, `"properties":{"team":"a"}`),
		"catalogs.list":            ok(`[["conf","MANAGED_CATALOG"],["main","MANAGED_CATALOG"],["system","SYSTEM_CATALOG"]]`),
		"catalogs.get.system":      ok(`"catalog_type":"SYSTEM_CATALOG"`, `"owner":"System user"`),
		"catalogs.update.sdk":      patchRefused,
		"catalogs.update.patch":    ok(`"comment":"changed"`, `"properties":{"team":"b"}`),
		"catalogs.get":             ok(`"comment":"changed"`, `"properties":{"team":"b"}`, `"updated_by":"`+devID+`"`),
		"catalogs.get.missing":     fails(404, "CATALOG_DOES_NOT_EXIST", "nope"),
		"schemas.create":           ok(`"full_name":"conf.s"`, `"comment":"schema"`),
		"schemas.list":             ok(`["conf.s"]`),
		"schemas.list.system":      ok(`["system.lakeflow","system.zbemu"]`),
		"schemas.get.system":       ok(`"full_name":"system.lakeflow"`, `"owner":"System user"`),
		"schemas.update.sdk":       patchRefused,
		"schemas.update.patch":     ok(`"comment":"changed"`, `"properties":{"k":"v"}`),
		"schemas.get":              ok(`"comment":"changed"`, `"properties":{"k":"v"}`),
		"statements.create":        ok(`"state":"SUCCEEDED"`),
		"statements.insert.params": ok(`"state":"SUCCEEDED"`, `"data_array":[["1"]]`),
		"statements.select.params": ok(`"data_array":[["1","one"]]`),
		"statements.chunk":         ok(`"chunk_index":0`, `"data_array":[["1"]]`),
		"statements.failure":       ok(`"state":"FAILED"`, `"error":{"error_code":`, `TABLE_OR_VIEW_NOT_FOUND`),
		"statements.async":         ok(`"first":"PENDING"`, `"data_array":[["1000"]]`),
		"statements.cancel":        ok(`"state":"CANCELED"`),
		"tables.create":            ok(`"full_name":"conf.s.r"`, `"table_type":"MANAGED"`, `"nullable":false`),
		"tables.list":              ok(`["conf.s.r","conf.s.t"]`),
		"tables.get":               ok(`"full_name":"conf.s.t"`, `"type_name":"DECIMAL"`, `"type_precision":10`, `"type_scale":2`),
		"tables.exists":            ok(`{"table_exists":true}`),
		"tables.get.system":        ok(`"full_name":"system.lakeflow.zerobus_stream"`, `"name":"stream_id"`, `"name":"errors","type_text":"array<struct<error_code:string,error_message:string,timestamp:timestamp>>"`),
		"tables.list.system":       ok(`"system.lakeflow.zerobus_stream"`, `"system.lakeflow.zerobus_ingest"`),
		"tables.update.sdk":        patchRefused,
		"tables.update.patch":      ok(`"owner":"` + other + `"`),
		"tables.get.owner":         ok(`"` + other + `"`),
		"grants.update.sdk":        patchRefused,
		"grants.update.patch":      ok(`{"privilege_assignments":[{"principal":"` + other + `","privileges":["USE_CATALOG","USE_SCHEMA"]}]}`),
		"grants.sql.grant":         ok(`"state":"SUCCEEDED"`),
		"grants.get.schema":        ok(`{"privilege_assignments":[{"principal":"` + other + `","privileges":["SELECT"]}]}`),
		"grants.getEffective.table": ok(`"privilege":"USE_CATALOG","inherited_from_type":"CATALOG","inherited_from_name":"conf"`,
			`"privilege":"SELECT","inherited_from_type":"SCHEMA","inherited_from_name":"conf.s"`),
		"grants.update.remove":   ok(`"privileges":["USE_CATALOG"]}]}`),
		"grants.sql.show":        ok(`["` + other + `","USE CATALOG","CATALOG","conf"]`),
		"tokens.create":          ok(`"comment":"conformance"`, `"token_value":"dapi`),
		"tokens.list":            ok(`"comment":"conformance"`),
		"tokens.use":             ok(`"userName":"` + devID + `"`),
		"tokens.delete":          ok(`{}`),
		"tokens.use.revoked":     fails(401, "UNAUTHENTICATED", "invalid or expired personal access token"),
		"lakeview.list":          ok(`"Zerobus Ingest monitoring"`),
		"lakeview.publish":       ok(`"display_name":"Zerobus Ingest monitoring"`),
		"lakeview.unpublish":     ok(`{}`),
		"pipelines.list":         ok(`[]`),
		"pipelines.stop.missing": fails(404, "RESOURCE_DOES_NOT_EXIST", "0123abcd-0000-0000-0000-000000000000"),
		"tables.delete":          ok(`{}`),
		"tables.delete.created":  ok(`{}`),
		"tables.exists.deleted":  ok(`{"table_exists":false}`),
		"schemas.delete":         ok(`{}`),
		"catalogs.delete":        ok(`{}`),
	}
	names := make([]string, 0, len(steps))
	for n := range steps {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		t.Run(n, func(t *testing.T) {
			st := steps[n]
			check, known := want[n]
			if !known {
				t.Fatalf("conformance.js ran step %s, which has no expectation here", n)
			}
			if msg := check(st); msg != "" {
				t.Errorf("%s\nvalue: %s\nerror: %+v", msg, st.Value, st.Error)
			}
		})
	}
	for n := range want {
		if _, ran := steps[n]; !ran {
			t.Errorf("step %s did not run", n)
		}
	}
}

func boolMsg(ok bool, msg string) string {
	if ok {
		return ""
	}
	return msg
}
