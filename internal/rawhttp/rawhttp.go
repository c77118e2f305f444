// Package rawhttp writes hand-made HTTP/1.1 requests in tests: bodies that stall, run short
// of their Content-Length or never come, which net/http's client cannot send. The tests of
// the mock, the Bayeux server and the proxy check with it how each treats such clients.
package rawhttp

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Head is the head of a request for path announcing contentLength bytes of body (negative:
// chunked), with the extra header lines hdr ("Authorization: …"; a Host line replaces the
// default 127.0.0.1).
func Head(method, path string, contentLength int, hdr ...string) string {
	head := method + " " + path + " HTTP/1.1\r\nContent-Type: application/json\r\n"
	if !strings.Contains(strings.Join(hdr, "\n"), "Host:") {
		head += "Host: 127.0.0.1\r\n"
	}
	for _, h := range hdr {
		head += h + "\r\n"
	}
	if contentLength < 0 {
		return head + "Transfer-Encoding: chunked\r\n\r\n"
	}
	return head + fmt.Sprintf("Content-Length: %d\r\n\r\n", contentLength)
}

// Chunk frames s as one chunk of a chunked body, with no last chunk after it: the body is
// not over.
func Chunk(s string) string { return fmt.Sprintf("%x\r\n%s\r\n", len(s), s) }

// Send dials addr (host:port, or a URL such as httptest.Server.URL) and writes data, and
// leaves the connection open. Reads and writes on it fail after limit, so that a hang
// fails the test rather than the run; the test closes it at its end.
func Send(t testing.TB, addr, data string, limit time.Duration) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(addr, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.SetDeadline(time.Now().Add(limit)); err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(c, data); err != nil {
		t.Fatal(err)
	}
	return c
}

// Reply reads the reply on c: its status and body and, when checkClose, whether the server
// then closed the connection (without checkClose nothing more is read: on a connection the
// server keeps, that read would wait until Send's limit).
func Reply(t testing.TB, c net.Conn, checkClose bool) (status int, body string, closed bool) {
	t.Helper()
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("no reply: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !checkClose {
		return resp.StatusCode, string(b), false
	}
	_, err = br.ReadByte()
	// A reset is a close too: the server closes with the unread body still in its buffer.
	closed = errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET)
	return resp.StatusCode, string(b), closed
}
