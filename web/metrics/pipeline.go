package metrics

import (
	"sort"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/zbemu/zbemu/engine/pipeline"
)

// pipelineMetrics measures pipeline runs (pipeline.Observer): rows through
// each dataset's flow, and updates by final state and duration. A failed
// update is visible in zbemu_pipeline_updates_total{state="FAILED"} and in
// the event log, which an alert can query.
type pipelineMetrics struct {
	rowsIn, rowsWritten, rowsDropped *prometheus.CounterVec   // pipeline_id, dataset
	updates                          *prometheus.CounterVec   // pipeline_id, state
	updateTime                       *prometheus.HistogramVec // pipeline_id

	mu       sync.Mutex
	datasets map[string]*DatasetStats // dataset → totals for the stats endpoint
}

var _ pipeline.Observer = (*Metrics)(nil)

func newPipelineMetrics() *pipelineMetrics {
	labels := []string{"pipeline_id", "dataset"}
	return &pipelineMetrics{
		rowsIn: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "zbemu_pipeline_rows_read_total",
			Help: "Source rows read by pipeline flows, by pipeline and dataset."}, labels),
		rowsWritten: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "zbemu_pipeline_rows_written_total",
			Help: "Rows written to pipeline datasets, by pipeline and dataset."}, labels),
		rowsDropped: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "zbemu_pipeline_rows_dropped_total",
			Help: "Rows dropped by ON VIOLATION DROP ROW expectations, by pipeline and dataset."}, labels),
		updates: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "zbemu_pipeline_updates_total",
			Help: "Pipeline updates that ended, by pipeline and final state (COMPLETED, FAILED, CANCELED)."}, []string{"pipeline_id", "state"}),
		updateTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "zbemu_pipeline_update_duration_seconds",
			Help:    "Duration of pipeline updates, from start to their final state.",
			Buckets: prometheus.ExponentialBuckets(0.01, 4, 10)}, []string{"pipeline_id"}),
		datasets: map[string]*DatasetStats{},
	}
}

func (p *pipelineMetrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{p.rowsIn, p.rowsWritten, p.rowsDropped, p.updates, p.updateTime}
}

// FlowProgress implements pipeline.Observer.
func (m *Metrics) FlowProgress(pipelineID, dataset string, rowsIn, rowsWritten, dropped int64) {
	p := m.pipelines
	p.rowsIn.WithLabelValues(pipelineID, dataset).Add(float64(rowsIn))
	p.rowsWritten.WithLabelValues(pipelineID, dataset).Add(float64(rowsWritten))
	p.rowsDropped.WithLabelValues(pipelineID, dataset).Add(float64(dropped))
	p.mu.Lock()
	defer p.mu.Unlock()
	d := p.datasets[dataset]
	if d == nil {
		d = &DatasetStats{Dataset: dataset, PipelineID: pipelineID}
		p.datasets[dataset] = d
	}
	d.RowsReadTotal += rowsIn
	d.RowsWrittenTotal += rowsWritten
	d.RowsDroppedTotal += dropped
	d.Updates++
}

// UpdateDone implements pipeline.Observer.
func (m *Metrics) UpdateDone(pipelineID, state string, d time.Duration) {
	m.pipelines.updates.WithLabelValues(pipelineID, state).Inc()
	m.pipelines.updateTime.WithLabelValues(pipelineID).Observe(d.Seconds())
}

// DatasetStats is what pipeline flows did to one dataset since the server
// started.
type DatasetStats struct {
	Dataset          string `json:"dataset"`
	PipelineID       string `json:"pipeline_id"`
	Updates          int64  `json:"flow_runs"`
	RowsReadTotal    int64  `json:"rows_read_total"`
	RowsWrittenTotal int64  `json:"rows_written_total"`
	RowsDroppedTotal int64  `json:"rows_dropped_total"`
}

func (p *pipelineMetrics) snapshot() []DatasetStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]DatasetStats, 0, len(p.datasets))
	for _, d := range p.datasets {
		out = append(out, *d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Dataset < out[j].Dataset })
	return out
}
