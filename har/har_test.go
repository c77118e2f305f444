package har

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

func sampleEntry(i int) *Entry {
	e := &Entry{
		StartedDateTime: "2026-03-01T10:00:00.000Z",
		Time:            12.5,
		Request: Request{Method: "POST", URL: "http://127.0.0.1:8090/api/v2/workbins/w1", HTTPVersion: "HTTP/1.1",
			Headers:  []NameValue{{Name: "Content-Type", Value: "application/json"}},
			PostData: &PostData{MimeType: "application/json", Text: `{"operationName":"PullWorkitem","id":"x"}`}},
		Response: Response{Status: 200, StatusText: "OK", HTTPVersion: "HTTP/1.1",
			Headers: []NameValue{{Name: "content-type", Value: "application/json"}},
			Content: Content{Size: 32, MimeType: "application/json", Text: `{"statusCode":0,"referenceId":1}`}},
	}
	e.Comment = strings.Repeat("c", i)
	return e
}

func readAll(t *testing.T, r io.Reader) ([]*Entry, error) {
	t.Helper()
	hr := NewReader(r)
	var out []*Entry
	for i := 0; i < 100000; i++ {
		e, err := hr.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, e)
	}
	t.Fatal("reader did not end")
	return nil, nil
}

func TestWriteThenRead(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewWriter(&buf, Creator{Name: "workbinkit", Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if err := w.Write(sampleEntry(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Write(sampleEntry(0)); !errors.Is(err, ErrClosed) {
		t.Errorf("Write after Close: %v, want ErrClosed", err)
	}
	hr := NewReader(bytes.NewReader(buf.Bytes()))
	var got []*Entry
	for {
		e, err := hr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%v\n%s", err, buf.String())
		}
		got = append(got, e)
	}
	if len(got) != 3 || got[2].Comment != "cc" || got[0].Response.Content.Text != `{"statusCode":0,"referenceId":1}` {
		t.Fatalf("read back %d entries: %+v", len(got), got)
	}
	if hr.Version() != Version || hr.Creator().Name != "workbinkit" {
		t.Errorf("version %q creator %+v", hr.Version(), hr.Creator())
	}
	if got[0].Request.PostData.Text != `{"operationName":"PullWorkitem","id":"x"}` {
		t.Errorf("post data %q", got[0].Request.PostData.Text)
	}
}

// TestTruncatedWhileWriting: before Close the file reads as a HAR cut short, with every
// entry written so far readable.
func TestTruncatedWhileWriting(t *testing.T) {
	var buf bytes.Buffer
	w, _ := NewWriter(&buf, Creator{Name: "x", Version: "1"})
	_ = w.Write(sampleEntry(0))
	_ = w.Write(sampleEntry(1))
	got, err := readAll(t, bytes.NewReader(buf.Bytes()))
	if len(got) != 2 {
		t.Errorf("read %d entries before the cut, want 2", len(got))
	}
	var fe *FormatError
	if !errors.As(err, &fe) || !strings.Contains(fe.Reason, "truncated") {
		t.Fatalf("err = %v, want a truncated FormatError", err)
	}
}

func TestReadChromeStyle(t *testing.T) {
	// Chrome puts entries after pages and adds underscore members; version may come last.
	doc := `{"log":{"creator":{"name":"WebInspector","version":"537.36"},"pages":[{"startedDateTime":"2026-03-01T10:00:00.000Z","id":"page_1","title":"x","pageTimings":{}}],
"entries":[{"_initiator":{"type":"script"},"_priority":"High","_resourceType":"xhr","cache":{},"connection":"1234","pageref":"page_1",
"request":{"method":"GET","url":"http://localhost/api/v2/me","httpVersion":"HTTP/1.1","headers":[{"name":"Accept","value":"*/*"}],"queryString":[],"cookies":[],"headersSize":-1,"bodySize":0},
"response":{"status":200,"statusText":"OK","httpVersion":"HTTP/1.1","headers":[],"cookies":[],"content":{"size":2,"mimeType":"application/json","text":"e30=","encoding":"base64"},"redirectURL":"","headersSize":-1,"bodySize":-1,"_transferSize":300,"_error":null},
"serverIPAddress":"127.0.0.1","startedDateTime":"2026-03-01T10:00:00.123+01:00","time":3.2,"timings":{"blocked":0.5,"dns":-1,"ssl":-1,"connect":-1,"send":0.1,"wait":2,"receive":0.6,"_blocked_queueing":0.3}}],
"version":"1.2"},"extra":true}`
	got, err := readAll(t, strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("%d entries", len(got))
	}
	b, err := got[0].Response.Content.Body()
	if err != nil || string(b) != "{}" {
		t.Errorf("base64 body %q %v", b, err)
	}
	if st, _ := got[0].Started(); st.UTC().Hour() != 9 {
		t.Errorf("started %v", st)
	}
}

func TestEmptyLog(t *testing.T) {
	got, err := readAll(t, strings.NewReader(`{"log":{"version":"1.2","creator":{"name":"a","version":"1"},"entries":[]}}`))
	if err != nil || len(got) != 0 {
		t.Fatalf("%v %v", got, err)
	}
	got, err = readAll(t, strings.NewReader(`{"log":{"version":"1.2","creator":{"name":"a","version":"1"}}}`))
	if err != nil || len(got) != 0 {
		t.Fatalf("no entries member: %v %v", got, err)
	}
}

// TestNotAHAR: each kind of non-HAR is a FormatError naming the line and column.
func TestNotAHAR(t *testing.T) {
	cases := []struct {
		name, doc, reason string
		line, col         int
	}{
		{"empty", ``, "empty", 1, 1},
		{"array", `[1,2]`, "a HAR is a JSON object", 1, 1},
		{"not json", "\n\n  hello", "invalid JSON", 3, 3},
		{"no log", `{"entries":[]}`, `no "log" member`, 1, 14},
		{"log not object", `{"log":[]}`, `"log" must be an object`, 1, 8},
		{"entries not array", "{\"log\":{\"version\":\"1.2\",\n\"entries\":{}}}", "log.entries must be an array", 2, 11},
		{"entry not object", `{"log":{"version":"1.2","entries":[1]}}`, "entry 0: an entry must be an object", 1, 36},
		{"bad date", `{"log":{"version":"1.2","entries":[{"startedDateTime":"yesterday","request":{"method":"GET","url":"/"}}]}}`, "entry 0: startedDateTime", 1, 36},
		{"no method", `{"log":{"version":"1.2","entries":[{"startedDateTime":"2026-03-01T10:00:00Z","request":{"url":"/"}}]}}`, "request.method is missing", 1, 36},
		{"wrong type", `{"log":{"version":"1.2","entries":[{"startedDateTime":"2026-03-01T10:00:00Z","request":{"method":"GET","url":"/","headers":"x"}}]}}`, "request.headers must be", 1, 36},
		{"truncated", `{"log":{"version":"1.2","entries":[`, "truncated", 1, 36},
		{"trailing", `{"log":{"version":"1.2","entries":[]}} {}`, "data after", 1, 40},
		{"no version", `{"log":{"entries":[]}}`, `log has no "version"`, 1, 21},
		{"two logs", `{"log":{"version":"1.2"},"log":{}}`, `second "log"`, 1, 26},
		{"bad literal in entry", `{"log":{"version":"1.2","entries":[{"time":tru}]}}`, "invalid JSON", 1, 47},
		{"control char", "{\"log\":{\"version\":\"1\u0001\"}}", "invalid JSON", 1, 21},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := readAll(t, strings.NewReader(c.doc))
			if !errors.Is(err, ErrNotHAR) {
				t.Fatalf("err = %v, want ErrNotHAR", err)
			}
			err = Locate(err, strings.NewReader(c.doc))
			var fe *FormatError
			errors.As(err, &fe)
			if !strings.Contains(err.Error(), c.reason) {
				t.Errorf("%v: want %q in it", err, c.reason)
			}
			if fe.Line != c.line || fe.Column != c.col {
				t.Errorf("%v: at %d:%d, want %d:%d", err, fe.Line, fe.Column, c.line, c.col)
			}
		})
	}
}

func TestEntryTooLarge(t *testing.T) {
	big := `{"log":{"version":"1.2","entries":[{"startedDateTime":"2026-03-01T10:00:00Z","request":{"method":"GET","url":"/"},"comment":"` +
		strings.Repeat("x", 300<<10) + `"}]}}`
	hr := NewReaderSize(strings.NewReader(big), 64<<10)
	_, err := hr.Next()
	if !errors.Is(err, ErrNotHAR) || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("err = %v", err)
	}
	// Next keeps returning the error.
	if _, err2 := hr.Next(); err2 != err {
		t.Errorf("second Next: %v", err2)
	}
}

func TestLocateCountsRunes(t *testing.T) {
	doc := "{\"é€\": x}"
	_, err := readAll(t, strings.NewReader(doc))
	err = Locate(err, strings.NewReader(doc))
	var fe *FormatError
	if !errors.As(err, &fe) || fe.Line != 1 || fe.Column != 8 {
		t.Fatalf("%v (%+v)", err, fe)
	}
}
