package web

import (
	"net/http"

	"google.golang.org/grpc/metadata"

	"github.com/zbemu/zbemu/engine"
)

// Plausibility warnings reach the client beside a successful answer, one
// value per column and unit (engine.WarningSummary.String): REST as
// response headers, gRPC as trailer metadata at the end of the stream,
// which the SDKs expose with the call's final status. Both are a zbemu
// extension the real service does not send; clients ignore unknown
// headers and trailers.
const (
	// WarningHeader is the REST response header.
	WarningHeader = "X-Zbemu-Warnings"
	// WarningTrailer is the gRPC trailer key (lower case, as gRPC wants).
	WarningTrailer = "x-zbemu-warnings"
)

func warningValues(ws []engine.WarningSummary) []string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = w.String()
	}
	return out
}

// setWarningHeader adds a REST request's warnings to its response.
func setWarningHeader(w http.ResponseWriter, ws []engine.WarningSummary) {
	for _, v := range warningValues(ws) {
		w.Header().Add(WarningHeader, v)
	}
}

// warningTrailer is a stream's warnings as trailer metadata (nil: none).
func warningTrailer(st *engine.Stream) metadata.MD {
	ws := st.Warnings()
	if len(ws) == 0 {
		return nil
	}
	return metadata.MD{WarningTrailer: warningValues(ws)}
}
