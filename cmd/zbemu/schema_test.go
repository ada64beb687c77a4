package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"

	sjs "github.com/santhosh-tekuri/jsonschema/v5"
)

func TestSchemaCLI(t *testing.T) {
	t.Parallel()
	s := startServer(t, "", "--memory")
	s.sql("CREATE TABLE main.default.iot " + iotDDL)
	t.Run("proto", func(t *testing.T) {
		out := runCLI(t, s, "schema", "proto", "main.default.iot")
		code, body := s.call("GET", "/zbemu/v1/tables/main.default.iot/proto", devToken, nil)
		if code != 200 || out != string(body) {
			t.Errorf("CLI and API differ (%d):\n%s\n---\n%s", code, out, body)
		}
		for _, want := range []string{`syntax = "proto2";`, "required string device_id = 1;", "required int64 ts = 2;", "optional double temperature = 3;", "optional int64 seq = 6;"} {
			if !strings.Contains(out, want) {
				t.Errorf("proto lacks %q:\n%s", want, out)
			}
		}
	})
	t.Run("jsonschema", func(t *testing.T) {
		out := runCLI(t, s, "schema", "jsonschema", "--url", s.url, "main.default.iot")
		c := sjs.NewCompiler()
		c.Draft = sjs.Draft2020
		if err := c.AddResource("t.json", strings.NewReader(out)); err != nil {
			t.Fatal(err)
		}
		sch, err := c.Compile("t.json")
		if err != nil {
			t.Fatalf("compile: %v\n%s", err, out)
		}
		for rec, ok := range map[string]bool{
			`{"device_id":"d1","ts":1732451234000000,"temperature":20.5}`: true,
			`{"device_id":"d1","ts":"2024-11-24T12:27:14Z"}`:              false,
			`{"ts":1}`: false,
		} {
			var v any
			dec := json.NewDecoder(strings.NewReader(rec))
			dec.UseNumber()
			dec.Decode(&v)
			if err := sch.Validate(v); (err == nil) != ok {
				t.Errorf("validate %s: %v, want ok=%v", rec, err, ok)
			}
		}
	})
	tests := []struct {
		name     string
		args     []string
		exit     int
		contains string
	}{
		{"unknown table", []string{"schema", "proto", "main.default.nope"}, 1, "TABLE_DOES_NOT_EXIST"},
		{"two-part name", []string{"schema", "jsonschema", "default.iot"}, 2, "exactly 3 parts"},
		{"unknown kind", []string{"schema", "avro", "main.default.iot"}, 2, "usage: zbemu schema proto|jsonschema"},
		{"wrong token", []string{"schema", "proto", "--token", "nope", "main.default.iot"}, 1, "UNAUTHENTICATED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(binPath, tt.args...)
			cmd.Env = append(os.Environ(), "ZBEMU_URL="+s.url, "ZBEMU_TOKEN="+devToken)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			err := cmd.Run()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != tt.exit {
				t.Fatalf("exit %v, want %d; stderr %s", err, tt.exit, stderr.String())
			}
			if !strings.Contains(stderr.String(), tt.contains) {
				t.Errorf("stderr %q lacks %q", stderr.String(), tt.contains)
			}
		})
	}
}
