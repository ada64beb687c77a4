package otlp

import (
	"fmt"

	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
)

// TracesRequest is the request of a decoded ExportTraceServiceRequest.
func TracesRequest(td ptrace.Traces) Request {
	return Request{Signal: Traces, rows: func(b *batch) { spanRows(td, b) },
		size: func() int { return (&ptrace.ProtoMarshaler{}).TracesSize(td) }}
}

// LogsRequest is the request of a decoded ExportLogsServiceRequest.
func LogsRequest(ld plog.Logs) Request {
	return Request{Signal: Logs, rows: func(b *batch) { logRows(ld, b) },
		size: func() int { return (&plog.ProtoMarshaler{}).LogsSize(ld) }}
}

// MetricsRequest is the request of a decoded ExportMetricsServiceRequest.
func MetricsRequest(md pmetric.Metrics) Request {
	return Request{Signal: Metrics, rows: func(b *batch) { metricRows(md, b) },
		size: func() int { return (&pmetric.ProtoMarshaler{}).MetricsSize(md) }}
}

// Size is the request's size in protobuf encoding, to hold gRPC requests
// to the same limit as the bodies of OTLP/HTTP.
func (r Request) Size() int { return r.size() }

// Decode decodes an OTLP/HTTP body: binary protobuf, or OTLP/JSON when
// json is set (https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding:
// hex ids, enums as integers, lowerCamelCase or snake_case names, which
// pdata's decoder handles).
func Decode(sig *Signal, body []byte, json bool) (Request, error) {
	var err error
	var req Request
	switch sig {
	case Traces:
		r := ptraceotlp.NewExportRequest()
		err = unmarshal(r.UnmarshalProto, r.UnmarshalJSON, body, json)
		req = TracesRequest(r.Traces())
	case Logs:
		r := plogotlp.NewExportRequest()
		err = unmarshal(r.UnmarshalProto, r.UnmarshalJSON, body, json)
		req = LogsRequest(r.Logs())
	default:
		r := pmetricotlp.NewExportRequest()
		err = unmarshal(r.UnmarshalProto, r.UnmarshalJSON, body, json)
		req = MetricsRequest(r.Metrics())
	}
	if err != nil {
		enc := "protobuf (application/x-protobuf)"
		if json {
			enc = "OTLP/JSON (application/json)"
		}
		return Request{}, fmt.Errorf("%w: the body is not an OpenTelemetry %s export request in %s: %v", ErrBadRequest, sig.Name, enc, err)
	}
	return req, nil
}

func unmarshal(proto, json func([]byte) error, body []byte, isJSON bool) error {
	if isJSON {
		return json(body)
	}
	return proto(body)
}
