package sqlalert

import (
	"strings"
	"testing"
	"time"
)

func TestCronNext(t *testing.T) {
	base := time.Date(2026, 3, 14, 10, 15, 30, 0, time.UTC) // a Saturday
	tests := []struct {
		expr string
		want string // next fire times after base, in RFC 3339
	}{
		{"* * * * * ?", "2026-03-14T10:15:31Z 2026-03-14T10:15:32Z"},
		{"0/20 * * * * ?", "2026-03-14T10:15:40Z 2026-03-14T10:16:00Z"},
		{"0 0/5 * * * ?", "2026-03-14T10:20:00Z 2026-03-14T10:25:00Z"},
		{"0 0 9 ? * MON-FRI", "2026-03-16T09:00:00Z 2026-03-17T09:00:00Z"},
		{"0 30 8 1,15 * ?", "2026-03-15T08:30:00Z 2026-04-01T08:30:00Z"},
		{"0 0 0 ? * 1", "2026-03-15T00:00:00Z 2026-03-22T00:00:00Z"}, // Quartz: 1 = Sunday
		{"0 0 12 29 FEB ? *", "2028-02-29T12:00:00Z 2032-02-29T12:00:00Z"},
	}
	for _, tc := range tests {
		c, err := parseCron(tc.expr)
		if err != nil {
			t.Fatalf("%s: %v", tc.expr, err)
		}
		var got []string
		at := base
		for range 2 {
			at = c.next(at)
			got = append(got, at.Format(time.RFC3339))
		}
		if strings.Join(got, " ") != tc.want {
			t.Errorf("%s: next = %v, want %s", tc.expr, got, tc.want)
		}
	}
	// A time zone shifts the wall clock, not the rule.
	c, _ := parseCron("0 0 9 * * ?")
	ams, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		t.Skip("no tzdata:", err)
	}
	if got := c.next(base.In(ams)).UTC().Format(time.RFC3339); got != "2026-03-15T08:00:00Z" {
		t.Errorf("09:00 Amsterdam after %s = %s", base, got)
	}
}

func TestCronErrors(t *testing.T) {
	tests := []struct{ expr, want string }{
		{"* * * * *", "has 5 fields"},
		{"61 * * * * ?", `seconds field "61": "61" is not a value from 0 to 59`},
		{"0 0 0 L * ?", "L, W or #"},
		{"0 0 0 ? * MON#2", "L, W or #"},
		{"0 0 0 * * ? 2027", "only * in the year field"},
		{"0 0 10-5 * * ?", "ends before it starts"},
		{"0/0 * * * * ?", "not a positive number"},
		{"0 0 0 ? FOO *", `month field "FOO"`},
	}
	for _, tc := range tests {
		if _, err := parseCron(tc.expr); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("parseCron(%q) = %v, want an error mentioning %q", tc.expr, err, tc.want)
		}
	}
}

func TestEveryCron(t *testing.T) {
	for d, want := range map[time.Duration]string{
		time.Second: "0/1 * * * * ?", 30 * time.Second: "0/30 * * * * ?", 45 * time.Second: "",
		time.Minute: "0 0/1 * * * ?", 15 * time.Minute: "0 0/15 * * * ?", 7 * time.Minute: "",
		6 * time.Hour: "0 0 0/6 * * ?", 24 * time.Hour: "0 0 0 * * ?", 1500 * time.Millisecond: "",
	} {
		got := everyCron(d)
		if got != want {
			t.Errorf("everyCron(%s) = %q, want %q", d, got, want)
		}
		if c, err := parseCron(got); got != "" && err != nil {
			t.Errorf("everyCron(%s) = %q does not parse: %v", d, got, err)
		} else if got != "" {
			at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			if next := c.next(at); next.Sub(at) != d {
				t.Errorf("%q fires %s after midnight, want %s", got, next.Sub(at), d)
			}
		}
	}
}
