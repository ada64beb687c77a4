package sqlalert

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// cron is a parsed Quartz cron expression, the schedule format of
// Databricks alerts (CronSchedule.quartz_cron_schedule, see
// https://www.quartz-scheduler.org/documentation/quartz-2.3.0/tutorials/crontrigger.html):
// seconds minutes hours day-of-month month day-of-week [year]. Supported in
// each field: *, ?, numbers, a-b ranges, lists, /step, and month and day
// names (JAN, MON); day-of-week counts 1 = Sunday as Quartz does. L, W and #
// are refused with their name, and the year field may only be *.
type cron struct {
	sec, min, hour, dom, month, dow uint64 // bit i set: value i matches
	domAny, dowAny                  bool   // the field was * or ?
}

var cronFields = []struct {
	name     string
	min, max int
	names    []string // names[i] is value min+i
}{
	{"seconds", 0, 59, nil},
	{"minutes", 0, 59, nil},
	{"hours", 0, 23, nil},
	{"day-of-month", 1, 31, nil},
	{"month", 1, 12, strings.Fields("JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC")},
	{"day-of-week", 1, 7, strings.Fields("SUN MON TUE WED THU FRI SAT")},
}

// parseCron parses a Quartz expression; errors name the field and what it
// accepts.
func parseCron(expr string) (cron, error) {
	f := strings.Fields(expr)
	if len(f) != 6 && len(f) != 7 {
		return cron{}, fmt.Errorf("%q has %d fields; a Quartz cron expression has 6 or 7: seconds minutes hours day-of-month month day-of-week [year], e.g. \"0 0/5 * * * ?\"", expr, len(f))
	}
	if len(f) == 7 && f[6] != "*" {
		return cron{}, fmt.Errorf("%q: zbemu supports only * in the year field, got %q", expr, f[6])
	}
	var c cron
	dst := []*uint64{&c.sec, &c.min, &c.hour, &c.dom, &c.month, &c.dow}
	for i, spec := range cronFields {
		bits, err := parseCronField(strings.ToUpper(f[i]), spec.min, spec.max, spec.names)
		if err != nil {
			return cron{}, fmt.Errorf("%q: %s field %q: %v", expr, spec.name, f[i], err)
		}
		*dst[i] = bits
	}
	c.domAny = f[3] == "*" || f[3] == "?"
	c.dowAny = f[5] == "*" || f[5] == "?"
	return c, nil
}

func parseCronField(s string, lo, hi int, names []string) (uint64, error) {
	if s == "*" || s == "?" {
		return span(lo, hi, 1), nil
	}
	var bits uint64
	for _, part := range strings.Split(s, ",") {
		rng, stepText, hasStep := strings.Cut(part, "/")
		step := 1
		if hasStep {
			n, err := strconv.Atoi(stepText)
			if err != nil || n < 1 {
				return 0, fmt.Errorf("step %q is not a positive number", stepText)
			}
			step = n
		}
		a, b := lo, hi
		switch {
		case rng == "*" || rng == "?":
		case strings.Contains(rng, "-"):
			x, y, _ := strings.Cut(rng, "-")
			var err error
			if a, err = cronValue(x, lo, hi, names); err != nil {
				return 0, err
			}
			if b, err = cronValue(y, lo, hi, names); err != nil {
				return 0, err
			}
			if b < a {
				return 0, fmt.Errorf("range %s ends before it starts", rng)
			}
		default:
			v, err := cronValue(rng, lo, hi, names)
			if err != nil {
				return 0, err
			}
			a = v
			if !hasStep {
				b = v
			}
		}
		bits |= span(a, b, step)
	}
	return bits, nil
}

func cronValue(s string, lo, hi int, names []string) (int, error) {
	for i, n := range names {
		if s == n {
			return lo + i, nil
		}
	}
	if strings.ContainsAny(s, "LW#") {
		return 0, fmt.Errorf("%q uses L, W or #, which zbemu does not support", s)
	}
	v, err := strconv.Atoi(s)
	if err != nil || v < lo || v > hi {
		return 0, fmt.Errorf("%q is not a value from %d to %d", s, lo, hi)
	}
	return v, nil
}

func span(a, b, step int) uint64 {
	var bits uint64
	for v := a; v <= b; v += step {
		bits |= 1 << uint(v)
	}
	return bits
}

func has(bits uint64, v int) bool { return bits&(1<<uint(v)) != 0 }

// dayMatches applies Quartz's rule: with one of the day fields * or ?,
// the other decides; with both given, either may match.
func (c cron) dayMatches(t time.Time) bool {
	dom, dow := has(c.dom, t.Day()), has(c.dow, int(t.Weekday())+1)
	switch {
	case c.domAny && c.dowAny:
		return true
	case c.domAny:
		return dow
	case c.dowAny:
		return dom
	}
	return dom || dow
}

// next returns the first matching time strictly after t, in t's location,
// or the zero time if none comes within five years (e.g. 30 FEB).
func (c cron) next(t time.Time) time.Time {
	t = t.Truncate(time.Second).Add(time.Second)
	limit := t.AddDate(5, 0, 0)
	for t.Before(limit) {
		loc := t.Location()
		switch {
		case !has(c.month, int(t.Month())):
			t = time.Date(t.Year(), t.Month()+1, 1, 0, 0, 0, 0, loc)
		case !c.dayMatches(t):
			t = time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, loc)
		case !has(c.hour, t.Hour()):
			t = time.Date(t.Year(), t.Month(), t.Day(), t.Hour()+1, 0, 0, 0, loc)
		case !has(c.min, t.Minute()):
			t = t.Truncate(time.Minute).Add(time.Minute)
		case !has(c.sec, t.Second()):
			t = t.Add(time.Second)
		default:
			return t
		}
	}
	return time.Time{}
}
