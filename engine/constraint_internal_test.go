package engine

import (
	"context"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/descriptorpb"
)

// Protobuf records get the DEFAULT of a field that is not on the wire —
// also a NOT NULL column's, whose field may then be optional — in kept
// and in lazily kept (tiny-record) requests, and are refused by a CHECK
// constraint before the ack.
func TestProtoDefaultsAndChecks(t *testing.T) {
	ctx := context.Background()
	e, err := Open(ctx, Options{Memory: true, DevClientSecret: "s"})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close(ctx)
	admin := &Identity{ClientID: "zbemu-dev", Admin: true}
	if _, err := e.Execute(ctx, StatementRequest{SQL: "CREATE TABLE main.default.p (k BIGINT NOT NULL, c BIGINT NOT NULL DEFAULT 7, " +
		"CONSTRAINT k_pos CHECK (k >= 0)) TBLPROPERTIES ('delta.feature.allowColumnDefaults' = 'supported')", Identity: admin}); err != nil {
		t.Fatal(err)
	}
	field := func(name string, num int32, label descriptorpb.FieldDescriptorProto_Label) *descriptorpb.FieldDescriptorProto {
		return &descriptorpb.FieldDescriptorProto{Name: proto.String(name), Number: proto.Int32(num),
			Label: label.Enum(), Type: descriptorpb.FieldDescriptorProto_TYPE_INT64.Enum()}
	}
	desc, err := proto.Marshal(&descriptorpb.DescriptorProto{Name: proto.String("P"), Field: []*descriptorpb.FieldDescriptorProto{
		field("k", 1, descriptorpb.FieldDescriptorProto_LABEL_REQUIRED), field("c", 2, descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL)}})
	if err != nil {
		t.Fatal(err)
	}
	st, err := e.OpenStream(ctx, admin, StreamSpec{Table: "main.default.p", Format: FormatProto, Protocol: "GRPC", Descriptor: desc})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rec := func(k int64, c ...int64) []byte {
		b := protowire.AppendVarint(protowire.AppendTag(nil, 1, protowire.VarintType), uint64(k))
		for _, v := range c {
			b = protowire.AppendVarint(protowire.AppendTag(b, 2, protowire.VarintType), uint64(v))
		}
		return b
	}
	tiny := make([][]byte, 100)
	for i := range tiny {
		tiny[i] = rec(int64(i))
	}
	if d, err := st.decode(0, tiny); err != nil || d.redecode == nil {
		t.Fatalf("tiny records: lazy %v, err %v; want a lazily kept entry", d.redecode != nil, err)
	}
	if err := st.Submit(0, tiny); err != nil {
		t.Fatal(err)
	}
	if err := st.Submit(1, [][]byte{rec(1000, 1), rec(1001)}); err != nil {
		t.Fatal(err)
	}
	if err := st.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if err := st.Submit(2, [][]byte{rec(5), rec(-1)}); err == nil || !strings.Contains(err.Error(), "CHECK constraint k_pos (k >= 0) violated by row with values:\n - k : -1") {
		t.Fatalf("violating protobuf record: %v", err)
	}
	r, err := e.Execute(ctx, StatementRequest{SQL: "SELECT count(*), sum(c), count(*) FILTER (WHERE c = 7) FROM main.default.p", Identity: admin})
	if err != nil {
		t.Fatal(err)
	}
	if got := *r.Rows[0][0] + "|" + *r.Rows[0][1] + "|" + *r.Rows[0][2]; got != "102|708|101" {
		t.Fatalf("count, sum(c), defaulted = %s, want 102|708|101", got)
	}
}
