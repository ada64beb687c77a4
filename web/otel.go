package web

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"
	_ "google.golang.org/grpc/encoding/gzip" // grpc-encoding: gzip, which Zerobus OTLP accepts
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/zbemu/zbemu/engine"
	"github.com/zbemu/zbemu/engine/fault"
	"github.com/zbemu/zbemu/web/otlp"
)

// This file serves Zerobus Ingest OTLP
// (https://docs.databricks.com/aws/en/ingestion/opentelemetry): the
// three OTLP/gRPC Export services on the gRPC port and OTLP/HTTP at
// /v1/traces, /v1/logs and /v1/metrics, protobuf or JSON, gzip or not.
// Package web/otlp turns requests into rows; here are the transports,
// authentication and the error mapping of errors.go. OTLP/HTTP answers
// failures as the OTLP spec asks, with a google.rpc.Status in the
// request's encoding (https://opentelemetry.io/docs/specs/otlp/#failures-1).

// registerOTLP adds the OTLP/gRPC services to the gRPC server.
func (s *Server) registerOTLP(g *grpc.Server) {
	ptraceotlp.RegisterGRPCServer(g, &otlpTraces{s: s})
	plogotlp.RegisterGRPCServer(g, &otlpLogs{s: s})
	pmetricotlp.RegisterGRPCServer(g, &otlpMetrics{s: s})
}

type otlpTraces struct {
	ptraceotlp.UnimplementedGRPCServer
	s *Server
}

func (o *otlpTraces) Export(ctx context.Context, req ptraceotlp.ExportRequest) (ptraceotlp.ExportResponse, error) {
	res, err := o.s.otlpGRPC(ctx, otlp.TracesRequest(req.Traces()))
	return otlpResponse(otlp.Traces, res).(ptraceotlp.ExportResponse), err
}

type otlpLogs struct {
	plogotlp.UnimplementedGRPCServer
	s *Server
}

func (o *otlpLogs) Export(ctx context.Context, req plogotlp.ExportRequest) (plogotlp.ExportResponse, error) {
	res, err := o.s.otlpGRPC(ctx, otlp.LogsRequest(req.Logs()))
	return otlpResponse(otlp.Logs, res).(plogotlp.ExportResponse), err
}

type otlpMetrics struct {
	pmetricotlp.UnimplementedGRPCServer
	s *Server
}

func (o *otlpMetrics) Export(ctx context.Context, req pmetricotlp.ExportRequest) (pmetricotlp.ExportResponse, error) {
	res, err := o.s.otlpGRPC(ctx, otlp.MetricsRequest(req.Metrics()))
	return otlpResponse(otlp.Metrics, res).(pmetricotlp.ExportResponse), err
}

// otlpGRPC runs one OTLP/gRPC export and turns its error into the gRPC
// status, after counting and logging it as the Zerobus stream does.
func (s *Server) otlpGRPC(ctx context.Context, req otlp.Request) (otlp.Result, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	table := metadataValue(md, otlp.TableHeader)
	id, err := s.otlpIdentity(ctx, metadataValue(md, "authorization"))
	var res otlp.Result
	if err == nil {
		res, err = s.otlpExport(ctx, id, req, table, otlp.Transport{Protocol: "GRPC", DataFormat: "PROTOBUF"}, req.Size())
	}
	if err != nil {
		if ctx.Err() == nil {
			s.metrics.CountError(errorCode(err), "GRPC")
		}
		s.logFailure(ctx, "OTLP export failed", err, "signal", req.Signal.Name, "table", table, "protocol", "GRPC")
		return otlp.Result{}, grpcStatus(err)
	}
	return res, nil
}

// otlpIdentity authenticates the Authorization value of a request.
func (s *Server) otlpIdentity(ctx context.Context, authorization string) (*engine.Identity, error) {
	return s.e.Authenticate(ctx, bearerToken(authorization))
}

// otlpExport writes an authenticated request: the part both transports
// share. n is the request's encoded size, held to the message limit.
func (s *Server) otlpExport(ctx context.Context, id *engine.Identity, req otlp.Request, table string, tr otlp.Transport, n int) (otlp.Result, error) {
	if limit := s.messageLimit(); n > limit {
		return otlp.Result{}, fmt.Errorf("%w: the OTLP %s request is %d bytes, above %s; export smaller batches",
			engine.ErrTooLarge, req.Signal.Name, n, limitText(limit))
	}
	if h := s.faults.Check(table, "", fault.RateLimit, fault.Unavailable); h != nil {
		return otlp.Result{}, faultError(h, table, "")
	}
	return s.otlp.Export(ctx, id, table, req, tr)
}

// otlpHTTP serves OTLP/HTTP for one signal.
func (s *Server) otlpHTTP(sig *otlp.Signal) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		rid := uuid.NewString()
		w.Header().Set("x-request-id", rid)
		isJSON, err := s.serveOTLPHTTP(w, r, sig)
		if err == nil {
			return
		}
		if r.Context().Err() == nil {
			s.metrics.CountError(errorCode(err), "HTTP")
		}
		s.logFailure(r.Context(), "OTLP export failed", err, "signal", sig.Name, "path", r.URL.Path,
			"table", r.Header.Get(otlp.TableHeader), "request_id", rid)
		st, _, msg := classify(err)
		setRetryAfter(w, err)
		body := &spb.Status{Code: int32(status.Code(grpcStatus(err))), Message: msg}
		writeOTLP(w, st, body, isJSON)
	}
}

// serveOTLPHTTP handles one OTLP/HTTP request; isJSON tells the caller
// which encoding to answer a failure in.
func (s *Server) serveOTLPHTTP(w http.ResponseWriter, r *http.Request, sig *otlp.Signal) (isJSON bool, err error) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mt {
	case "application/x-protobuf":
	case "application/json":
		isJSON = true
	default:
		return false, &httpError{http.StatusUnsupportedMediaType, "INVALID_PARAMETER_VALUE",
			fmt.Sprintf("Content-Type %q is not supported for OTLP/HTTP; send application/x-protobuf or application/json", r.Header.Get("Content-Type"))}
	}
	id, err := s.otlpIdentity(r.Context(), r.Header.Get("Authorization"))
	if err != nil {
		return isJSON, err
	}
	// The body deadline of handle, for OTLP too.
	rc := http.NewResponseController(w)
	rc.SetReadDeadline(time.Now().Add(s.opts.Timeouts.Body))
	body, err := s.readOTLPBody(r)
	rc.SetReadDeadline(time.Time{})
	if err != nil {
		return isJSON, err
	}
	req, err := otlp.Decode(sig, body, isJSON)
	if err != nil {
		return isJSON, err
	}
	tr := otlp.Transport{Protocol: "HTTP", DataFormat: "PROTOBUF"}
	if isJSON {
		tr.DataFormat = "JSON"
	}
	res, err := s.otlpExport(r.Context(), id, req, r.Header.Get(otlp.TableHeader), tr, len(body))
	if err != nil {
		return isJSON, err
	}
	writeOTLP(w, http.StatusOK, otlpResponse(sig, res), isJSON)
	return isJSON, nil
}

// readOTLPBody reads a body of at most the message limit, after gzip
// decompression when Content-Encoding says gzip: memory stays bounded by
// the limit whatever the compression ratio.
func (s *Server) readOTLPBody(r *http.Request) ([]byte, error) {
	limit := s.messageLimit()
	var src io.Reader = io.LimitReader(r.Body, int64(limit)+1)
	enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding")))
	switch enc {
	case "", "identity":
	case "gzip":
		zr, err := gzip.NewReader(src)
		if err != nil {
			return nil, badRequest("Content-Encoding is gzip but the body is not gzip data: " + err.Error())
		}
		src = io.LimitReader(zr, int64(limit)+1)
	default:
		return nil, &httpError{http.StatusUnsupportedMediaType, "INVALID_PARAMETER_VALUE",
			fmt.Sprintf("Content-Encoding %q is not supported; send the body uncompressed or with gzip", enc)}
	}
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(src); err != nil {
		if enc == "gzip" && (errors.Is(err, gzip.ErrChecksum) || errors.Is(err, gzip.ErrHeader) || errors.Is(err, io.ErrUnexpectedEOF)) {
			return nil, badRequest("the gzip body is corrupt: " + err.Error())
		}
		return nil, bodyReadError(err)
	}
	if buf.Len() > limit {
		return nil, &httpError{http.StatusRequestEntityTooLarge, "RESOURCE_EXHAUSTED",
			fmt.Sprintf("the OTLP request body (after decompression) exceeds %s; export smaller batches", limitText(limit))}
	}
	return buf.Bytes(), nil
}

// otlpMessage is an OTLP Export response, in either encoding.
type otlpMessage interface {
	MarshalProto() ([]byte, error)
	MarshalJSON() ([]byte, error)
}

// otlpResponse is the Export response of sig with its partial success.
func otlpResponse(sig *otlp.Signal, res otlp.Result) otlpMessage {
	switch sig {
	case otlp.Traces:
		resp := ptraceotlp.NewExportResponse()
		if res.Rejected > 0 {
			resp.PartialSuccess().SetRejectedSpans(res.Rejected)
			resp.PartialSuccess().SetErrorMessage(res.Message)
		}
		return resp
	case otlp.Logs:
		resp := plogotlp.NewExportResponse()
		if res.Rejected > 0 {
			resp.PartialSuccess().SetRejectedLogRecords(res.Rejected)
			resp.PartialSuccess().SetErrorMessage(res.Message)
		}
		return resp
	}
	resp := pmetricotlp.NewExportResponse()
	if res.Rejected > 0 {
		resp.PartialSuccess().SetRejectedDataPoints(res.Rejected)
		resp.PartialSuccess().SetErrorMessage(res.Message)
	}
	return resp
}

// writeOTLP writes an OTLP/HTTP response body in the request's encoding:
// an Export response, or a google.rpc.Status for a failure.
func writeOTLP(w http.ResponseWriter, status int, msg any, isJSON bool) {
	var b []byte
	var err error
	switch m := msg.(type) {
	case *spb.Status:
		if isJSON {
			b, err = protojson.Marshal(m)
		} else {
			b, err = proto.Marshal(m)
		}
	case otlpMessage:
		if isJSON {
			b, err = m.MarshalJSON()
		} else {
			b, err = m.MarshalProto()
		}
	}
	if err != nil {
		status, b = http.StatusInternalServerError, nil
	}
	if isJSON {
		w.Header().Set("Content-Type", "application/json")
	} else {
		w.Header().Set("Content-Type", "application/x-protobuf")
	}
	w.WriteHeader(status)
	w.Write(b)
}
