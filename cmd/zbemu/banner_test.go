package main

import (
	"strings"
	"testing"
	"time"
)

// TestBannerExports checks that the banner tells the client commands
// where the server is when it is not where they look by default.
func TestBannerExports(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		addr      string // --addr
		bound     string // the address actually bound
		token     string
		want, not []string
	}{
		{"default", "localhost:8765", "127.0.0.1:8765", "dapi-zbemu-dev-token", nil, []string{"export ZBEMU_URL", "export ZBEMU_TOKEN"}},
		{"other port", "localhost:0", "127.0.0.1:40123", "dapi-zbemu-dev-token",
			[]string{"export ZBEMU_URL=http://localhost:40123", "zbemu lab list"}, []string{"export ZBEMU_TOKEN"}},
		{"other host and token", "0.0.0.0:9000", "0.0.0.0:9000", "dapi-other",
			[]string{"export ZBEMU_URL=http://0.0.0.0:9000", "export ZBEMU_TOKEN=dapi-other"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Addr, cfg.DevToken, cfg.Memory = tt.addr, tt.token, true
			var b strings.Builder
			printBanner(&b, cfg, tt.bound, "", time.Millisecond)
			for _, w := range tt.want {
				if !strings.Contains(b.String(), w) {
					t.Errorf("banner lacks %q:\n%s", w, b.String())
				}
			}
			for _, n := range tt.not {
				if strings.Contains(b.String(), n) {
					t.Errorf("banner has %q:\n%s", n, b.String())
				}
			}
		})
	}
}
