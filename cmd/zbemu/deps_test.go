package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependencyDirection enforces the one-way package graph:
// schema ← engine ← systables, web, fixtures ← cmd, with engine/identity
// (identities, tokens, grants) below engine and beside schema. The
// clients in fixtures (zbclient and the generators) talk to zbemu only over
// the wire, so they import none of the server's packages, only its
// generated wire types (web/zerobuspb).
func TestDependencyDirection(t *testing.T) {
	t.Parallel()
	const mod = "github.com/zbemu/zbemu/"
	forbidden := map[string][]string{
		"schema":            {"engine", "web", "systables", "fixtures", "cmd"},
		"engine/identity":   {"schema", "engine", "web", "systables", "fixtures", "cmd"},
		"engine":            {"web", "systables", "fixtures", "cmd"},
		"engine/lakeview":   {"web", "systables", "fixtures", "cmd"},
		"engine/fault":      {"web", "systables", "fixtures", "cmd"},
		"engine/lowprio":    {"schema", "engine", "web", "systables", "fixtures", "cmd"},
		"systables":         {"web", "fixtures", "cmd"},
		"fixtures":          {"web", "systables", "cmd"},
		"web":               {"cmd", "systables", "fixtures"},
		"web/metrics":       {"web", "systables", "fixtures", "cmd"},
		"web/otlp":          {"web", "cmd", "systables", "fixtures"},
		"fixtures/zbclient": {"schema", "engine", "web", "systables", "fixtures", "cmd"},
		"fixtures/gen":      {"schema", "engine", "web", "systables", "cmd"},
	}
	wireTypes := mod + "web/zerobuspb"
	for pkg, bad := range forbidden {
		out, err := exec.Command("go", "list", "-deps", mod+pkg).Output()
		if err != nil {
			t.Fatalf("go list %s: %v", pkg, err)
		}
		for _, dep := range strings.Fields(string(out)) {
			for _, b := range bad {
				if dep == mod+pkg || (strings.HasPrefix(pkg, "fixtures/") && dep == wireTypes) {
					continue
				}
				if dep == mod+b || strings.HasPrefix(dep, mod+b+"/") {
					t.Errorf("%s must not import %s", pkg, dep)
				}
			}
		}
	}
}
