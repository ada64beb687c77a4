package zerobuspb

// The plugins must be on PATH at the versions named in doc.go.
//go:generate protoc --go_out=. --go_opt=paths=source_relative --go-grpc_out=. --go-grpc_opt=paths=source_relative zerobus_service.proto
