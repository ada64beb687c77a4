package web

import (
	"strings"
	"testing"

	"github.com/zbemu/zbemu/engine/rowcheck"
)

func TestPipelineNameFilter(t *testing.T) {
	tests := []struct {
		filter, name string
		match        bool
	}{
		{"", "anything", true},
		{"name LIKE 'iot%'", "IoT lab (main.iot)", true},
		{"name LIKE '%lab%'", "IoT lab", true},
		{"name LIKE 'lab'", "IoT lab", false},
		{"name LIKE 'a_c'", "abc", true},
		{"name LIKE 'a_c'", "abbc", false},
		{"name LIKE '" + strings.Repeat("%", 200) + "x'", strings.Repeat("a", 5000), false},
	}
	for _, tc := range tests {
		like, err := pipelineNameFilter(tc.filter)
		if err != nil {
			t.Fatalf("%q: %v", tc.filter, err)
		}
		re, err := rowcheck.LikeRegexp(strings.ToLower(like))
		if err != nil {
			t.Fatalf("%q: %v", tc.filter, err)
		}
		if got := re.MatchString(strings.ToLower(tc.name)); got != tc.match {
			t.Errorf("%q on %q: %v, want %v", tc.filter, tc.name, got, tc.match)
		}
	}
	for _, bad := range []string{"state = 'IDLE'", "name LIKE iot", "name = 'x'"} {
		if _, err := pipelineNameFilter(bad); err == nil || !strings.Contains(err.Error(), "filter") {
			t.Errorf("%q: %v, want an error naming the filter", bad, err)
		}
	}
}
