package main

import (
	"fmt"
	"testing"
)

// benchJSON makes the same records as the fmt format it replaced, so the
// loads that make records as they go send what the other workloads send.
func TestBenchJSONMatchesFormat(t *testing.T) {
	for _, i := range []int{0, 1, 9, 42, 999, 1234, 9999, 10000, 10001, 123456, 2_000_003, 36_000_000} {
		dev := fmt.Sprintf("device-%05d", i%10000)
		want := fmt.Sprintf(`{"device_id":%q,"ts":%d,"temperature":%g,"humidity":%g,"status":%q,"seq":%d}`,
			dev, int64(1795521600000000+i*1000), float64(i%400)/10, float64(i%1000)/10, []string{"ok", "warn", "fail"}[i%3], i)
		if got := string(benchJSON(nil, i)); got != want {
			t.Errorf("record %d:\n got %s\nwant %s", i, got, want)
		}
	}
}
