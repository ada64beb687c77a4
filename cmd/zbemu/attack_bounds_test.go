package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/http2"
)

// Attacks on the resource bounds of issue 9: slow and idle clients,
// oversized decodes, huge SQL results and schema changes by auto-merge.
// Memory is measured as the server process's RSS; time is never asserted
// (deadlines only keep a failing test from hanging).

// TestAttackSlowBody: a body that trickles in is cut off with 408 at the
// body timeout instead of holding the connection for as long as the
// client likes.
func TestAttackSlowBody(t *testing.T) {
	s := startServer(t, "", "--memory", "--body-timeout", "1s")
	s.sql("CREATE TABLE main.default.slow (id INT)")
	c, err := net.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n[{\"id\":",
		insertPath("main.default.slow"), devToken)
	// Nothing more is sent; the server must answer on its own.
	c.SetReadDeadline(time.Now().Add(60 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("no answer to a stalled body (the server waits for it forever): %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusRequestTimeout || !strings.Contains(string(body), "body-timeout") {
		t.Fatalf("stalled body: HTTP %d %s; want 408 naming --body-timeout", resp.StatusCode, body)
	}
}

// TestAttackIdleConnections: an HTTP/1.1 keep-alive connection without
// requests and a gRPC connection without streams are closed at the idle
// timeout; a gRPC stream that stays open and quiet longer is not.
func TestAttackIdleConnections(t *testing.T) {
	s := startServer(t, "", "--memory", "--idle-timeout", "1s")
	s.sql("CREATE TABLE main.default.quiet (id INT)")

	t.Run("http keep-alive", func(t *testing.T) {
		c, err := net.Dial("tcp", s.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		fmt.Fprintf(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
		br := bufio.NewReader(c)
		c.SetReadDeadline(time.Now().Add(60 * time.Second))
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		if _, err := br.ReadByte(); !errors.Is(err, io.EOF) {
			t.Fatalf("idle keep-alive connection: read gave %v; want EOF (closed by the server)", err)
		}
	})

	t.Run("grpc connection without streams", func(t *testing.T) {
		c, err := net.Dial("tcp", s.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.Write([]byte(http2.ClientPreface))
		fr := http2.NewFramer(c, c)
		if err := fr.WriteSettings(); err != nil {
			t.Fatal(err)
		}
		c.SetReadDeadline(time.Now().Add(60 * time.Second))
		for {
			f, err := fr.ReadFrame()
			if err != nil {
				t.Fatalf("idle gRPC connection: no GOAWAY (%v)", err)
			}
			if _, ok := f.(*http2.GoAwayFrame); ok {
				return
			}
			if sf, ok := f.(*http2.SettingsFrame); ok && !sf.IsAck() {
				fr.WriteSettingsAck()
			}
		}
	})

	t.Run("quiet grpc stream survives", func(t *testing.T) {
		st := wireStream(t, s, "main.default.quiet")
		if err := sendAndWait(t, st, `{"id":1}`); err != nil {
			t.Fatal(err)
		}
		// Wait until a connection without streams would have been closed
		// (the subtest above saw it happen), counted by the server's own
		// GOAWAY on a second, stream-less connection.
		c, err := net.Dial("tcp", s.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.Write([]byte(http2.ClientPreface))
		fr := http2.NewFramer(c, c)
		fr.WriteSettings()
		c.SetReadDeadline(time.Now().Add(60 * time.Second))
		for {
			f, err := fr.ReadFrame()
			if err != nil {
				t.Fatalf("no GOAWAY on the stream-less connection: %v", err)
			}
			if _, ok := f.(*http2.GoAwayFrame); ok {
				break
			}
		}
		if err := sendAndWait(t, st, `{"id":2}`); err != nil {
			t.Fatalf("a quiet stream was closed by the idle timeout: %v", err)
		}
		if n := s.count("main.default.quiet"); n != 2 {
			t.Fatalf("quiet stream: %d rows, want 2", n)
		}
	})
}
