package otlp

import (
	"fmt"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

var temporalities = []string{"AGGREGATION_TEMPORALITY_UNSPECIFIED", "AGGREGATION_TEMPORALITY_DELTA", "AGGREGATION_TEMPORALITY_CUMULATIVE"}

// metricTypes names each metric type by the struct column that holds its
// data point, so that metric_type says which column to read.
var metricTypes = map[pmetric.MetricType]string{
	pmetric.MetricTypeGauge:                "gauge",
	pmetric.MetricTypeSum:                  "sum",
	pmetric.MetricTypeHistogram:            "histogram",
	pmetric.MetricTypeExponentialHistogram: "exponential_histogram",
	pmetric.MetricTypeSummary:              "summary",
}

// metricRows flattens a metrics request into one row per data point.
func metricRows(md pmetric.Metrics, b *batch) {
	var c scopeCtx
	for i, rms := 0, md.ResourceMetrics(); i < rms.Len(); i++ {
		rm := rms.At(i)
		res := rm.Resource()
		c.setResource(res.Attributes(), res.DroppedAttributesCount(), rm.SchemaUrl())
		for j, sms := 0, rm.ScopeMetrics(); j < sms.Len(); j++ {
			sm := sms.At(j)
			c.setScope(sm.Scope())
			for k, ms := 0, sm.Metrics(); k < ms.Len(); k++ {
				m := ms.At(k)
				where := fmt.Sprintf("resource_metrics[%d].scope_metrics[%d].metrics[%d] (%q)", i, j, k, m.Name())
				metricPoints(b, &c, m, sm.SchemaUrl(), where)
			}
		}
	}
}

// metricPoints writes the rows of one metric's data points.
func metricPoints(b *batch, c *scopeCtx, m pmetric.Metric, schemaURL, where string) {
	at := func(p int) func() string {
		return func() string { return fmt.Sprintf("%s.data_points[%d]", where, p) }
	}
	switch m.Type() {
	case pmetric.MetricTypeGauge:
		pts := m.Gauge().DataPoints()
		for p := 0; p < pts.Len(); p++ {
			pointRow(b, c, m, schemaURL, at(p), pts.At(p).StartTimestamp(), pts.At(p).Timestamp(), func(w *row) {
				numberPoint(w, pts.At(p))
			})
		}
	case pmetric.MetricTypeSum:
		sum := m.Sum()
		pts := sum.DataPoints()
		for p := 0; p < pts.Len(); p++ {
			pointRow(b, c, m, schemaURL, at(p), pts.At(p).StartTimestamp(), pts.At(p).Timestamp(), func(w *row) {
				numberPoint(w, pts.At(p))
				w.str("aggregation_temporality", enumName(temporalities, int32(sum.AggregationTemporality())), "aggregation_temporality")
				w.boolean("is_monotonic", sum.IsMonotonic())
			})
		}
	case pmetric.MetricTypeHistogram:
		h := m.Histogram()
		pts := h.DataPoints()
		for p := 0; p < pts.Len(); p++ {
			pointRow(b, c, m, schemaURL, at(p), pts.At(p).StartTimestamp(), pts.At(p).Timestamp(), func(w *row) {
				histogramPoint(w, pts.At(p))
				w.str("aggregation_temporality", enumName(temporalities, int32(h.AggregationTemporality())), "aggregation_temporality")
			})
		}
	case pmetric.MetricTypeExponentialHistogram:
		h := m.ExponentialHistogram()
		pts := h.DataPoints()
		for p := 0; p < pts.Len(); p++ {
			pointRow(b, c, m, schemaURL, at(p), pts.At(p).StartTimestamp(), pts.At(p).Timestamp(), func(w *row) {
				expHistogramPoint(w, pts.At(p))
				w.str("aggregation_temporality", enumName(temporalities, int32(h.AggregationTemporality())), "aggregation_temporality")
			})
		}
	case pmetric.MetricTypeSummary:
		pts := m.Summary().DataPoints()
		for p := 0; p < pts.Len(); p++ {
			pointRow(b, c, m, schemaURL, at(p), pts.At(p).StartTimestamp(), pts.At(p).Timestamp(), func(w *row) {
				summaryPoint(w, pts.At(p))
			})
		}
	default:
		b.reject(1, where+": metric has no data (one of gauge, sum, histogram, exponential_histogram, summary)")
	}
}

// pointRow writes one data point's row; point writes the members of the
// metric type's struct column, the other four are NULL.
func pointRow(b *batch, c *scopeCtx, m pmetric.Metric, schemaURL string, what func() string, start, ts pcommon.Timestamp, point func(*row)) {
	w := b.begin()
	if ts == 0 {
		w.fail(fmt.Errorf("time_unix_nano is 0; OTLP requires the time of every data point"))
	}
	w.head(uint64(ts), c)
	w.nanos("start_time_unix_nano", start, "start_time_unix_nano")
	w.nanos("time_unix_nano", ts, "time_unix_nano")
	w.str("name", m.Name(), "metric name")
	w.str("description", m.Description(), "metric description")
	w.str("unit", m.Unit(), "metric unit")
	typ := metricTypes[m.Type()]
	w.str("metric_type", typ, "metric_type")
	for _, col := range []string{"gauge", "sum", "histogram", "exponential_histogram", "summary"} {
		if col != typ {
			w.null(col)
			continue
		}
		w.open(col)
		point(&w)
		w.closeObj()
	}
	w.attrs("metadata", m.Metadata(), "metric metadata")
	w.raw(c.resource)
	w.raw(c.scope)
	w.str("metric_schema_url", schemaURL, "scope schema_url")
	b.end(w, c, what)
}

func numberPoint(w *row, p pmetric.NumberDataPoint) {
	w.key("value")
	if p.ValueType() == pmetric.NumberDataPointValueTypeInt {
		w.f64Val(float64(p.IntValue()))
	} else {
		w.f64Val(p.DoubleValue())
	}
	exemplars(w, p.Exemplars())
	w.attrs("attributes", p.Attributes(), "attributes")
	w.i64("flags", int64(p.Flags()))
}

func histogramPoint(w *row, p pmetric.HistogramDataPoint) {
	counts, bounds := p.BucketCounts(), p.ExplicitBounds()
	if counts.Len() > 0 && counts.Len() != bounds.Len()+1 {
		w.fail(fmt.Errorf("histogram has %d bucket_counts and %d explicit_bounds; OTLP requires one count more than bounds", counts.Len(), bounds.Len()))
	}
	w.u64("count", p.Count(), "count")
	w.optF64("sum", p.HasSum(), p.Sum())
	w.openArr("bucket_counts")
	for i := 0; i < counts.Len(); i++ {
		w.sep()
		w.u64Val(counts.At(i), "bucket count")
	}
	w.closeArr()
	w.openArr("explicit_bounds")
	for i := 0; i < bounds.Len(); i++ {
		w.sep()
		w.f64Val(bounds.At(i))
	}
	w.closeArr()
	exemplars(w, p.Exemplars())
	w.attrs("attributes", p.Attributes(), "attributes")
	w.i64("flags", int64(p.Flags()))
	w.optF64("min", p.HasMin(), p.Min())
	w.optF64("max", p.HasMax(), p.Max())
}

func expHistogramPoint(w *row, p pmetric.ExponentialHistogramDataPoint) {
	w.attrs("attributes", p.Attributes(), "attributes")
	w.u64("count", p.Count(), "count")
	w.optF64("sum", p.HasSum(), p.Sum())
	w.i64("scale", int64(p.Scale()))
	w.u64("zero_count", p.ZeroCount(), "zero_count")
	for _, side := range []struct {
		col string
		b   pmetric.ExponentialHistogramDataPointBuckets
	}{{"positive_bucket", p.Positive()}, {"negative_bucket", p.Negative()}} {
		w.open(side.col)
		w.i64("offset", int64(side.b.Offset()))
		w.openArr("bucket_counts")
		for i, counts := 0, side.b.BucketCounts(); i < counts.Len(); i++ {
			w.sep()
			w.u64Val(counts.At(i), "bucket count")
		}
		w.closeArr()
		w.closeObj()
	}
	w.i64("flags", int64(p.Flags()))
	exemplars(w, p.Exemplars())
	w.optF64("min", p.HasMin(), p.Min())
	w.optF64("max", p.HasMax(), p.Max())
	w.f64("zero_threshold", p.ZeroThreshold())
}

func summaryPoint(w *row, p pmetric.SummaryDataPoint) {
	w.u64("count", p.Count(), "count")
	w.f64("sum", p.Sum())
	w.openArr("quantile_values")
	for i, qs := 0, p.QuantileValues(); i < qs.Len(); i++ {
		w.elem()
		w.f64("quantile", qs.At(i).Quantile())
		w.f64("value", qs.At(i).Value())
		w.closeObj()
	}
	w.closeArr()
	w.attrs("attributes", p.Attributes(), "attributes")
	w.i64("flags", int64(p.Flags()))
}

func exemplars(w *row, es pmetric.ExemplarSlice) {
	w.openArr("exemplars")
	for i := 0; i < es.Len(); i++ {
		e := es.At(i)
		w.elem()
		w.nanos("time_unix_nano", e.Timestamp(), "exemplar time_unix_nano")
		w.key("value")
		if e.ValueType() == pmetric.ExemplarValueTypeInt {
			w.f64Val(float64(e.IntValue()))
		} else {
			w.f64Val(e.DoubleValue())
		}
		w.spanID("span_id", e.SpanID())
		w.traceID("trace_id", e.TraceID())
		w.attrs("filtered_attributes", e.FilteredAttributes(), "exemplar filtered_attributes")
		w.closeObj()
	}
	w.closeArr()
}
