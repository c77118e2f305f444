// Package har reads and writes HAR 1.2 (HTTP Archive) files as streams: the exchanges a
// browser (Chrome DevTools "Save all as HAR"), Playwright's recordHar or workbinkit's proxy
// recorded. Both directions keep one entry in memory at a time, so a capture of any size
// costs the memory of its largest entry.
//
// Only the members workbinkit reads or writes are modelled; other members of an entry
// (Chrome's _initiator, _resourceType…) are skipped on reading. The format is
// http://www.softwareishard.com/blog/har-12-spec/.
package har

import (
	"encoding/base64"
	"fmt"
	"strings"
	"time"
)

// Version is the HAR version written.
const Version = "1.2"

// Creator names the program that wrote a HAR.
type Creator struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Comment string `json:"comment,omitempty"`
}

// Entry is one exchange.
type Entry struct {
	Pageref string `json:"pageref,omitempty"`
	// StartedDateTime is when the request started (ISO 8601 with a zone).
	StartedDateTime string `json:"startedDateTime"`
	// Time is the whole exchange in milliseconds, from the request's start to the
	// response's end (the sum of Timings, -1 excluded).
	Time            float64  `json:"time"`
	Request         Request  `json:"request"`
	Response        Response `json:"response"`
	Cache           struct{} `json:"cache"`
	Timings         Timings  `json:"timings"`
	ServerIPAddress string   `json:"serverIPAddress,omitempty"`
	Connection      string   `json:"connection,omitempty"`
	Comment         string   `json:"comment,omitempty"`
	// Error is Chrome's and Playwright's note for a request that got no response
	// (status 0): "net::ERR_ABORTED"…
	Error string `json:"_error,omitempty"`
}

// Request is an entry's request.
type Request struct {
	Method      string      `json:"method"`
	URL         string      `json:"url"`
	HTTPVersion string      `json:"httpVersion"`
	Cookies     []Cookie    `json:"cookies"`
	Headers     []NameValue `json:"headers"`
	QueryString []NameValue `json:"queryString"`
	PostData    *PostData   `json:"postData,omitempty"`
	HeadersSize int64       `json:"headersSize"`
	BodySize    int64       `json:"bodySize"`
	Comment     string      `json:"comment,omitempty"`
}

// Response is an entry's response. Status 0 means none came (the request failed or was
// still pending when the capture was saved).
type Response struct {
	Status      int         `json:"status"`
	StatusText  string      `json:"statusText"`
	HTTPVersion string      `json:"httpVersion"`
	Cookies     []Cookie    `json:"cookies"`
	Headers     []NameValue `json:"headers"`
	Content     Content     `json:"content"`
	RedirectURL string      `json:"redirectURL"`
	HeadersSize int64       `json:"headersSize"`
	BodySize    int64       `json:"bodySize"`
	Comment     string      `json:"comment,omitempty"`
}

// NameValue is a header or a query parameter.
type NameValue struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Cookie is a cookie of a request or a response.
type Cookie struct {
	Name     string `json:"name"`
	Value    string `json:"value"`
	Path     string `json:"path,omitempty"`
	Domain   string `json:"domain,omitempty"`
	Expires  string `json:"expires,omitempty"`
	HTTPOnly bool   `json:"httpOnly,omitempty"`
	Secure   bool   `json:"secure,omitempty"`
}

// PostData is a request body.
type PostData struct {
	MimeType string      `json:"mimeType"`
	Params   []NameValue `json:"params,omitempty"`
	Text     string      `json:"text"`
}

// Content is a response body.
type Content struct {
	Size        int64  `json:"size"`
	Compression int64  `json:"compression,omitempty"`
	MimeType    string `json:"mimeType"`
	Text        string `json:"text,omitempty"`
	// Encoding is "base64" when Text is base64; "" when Text is the body as text.
	Encoding string `json:"encoding,omitempty"`
	Comment  string `json:"comment,omitempty"`
}

// Timings splits Entry.Time into phases, in milliseconds; -1 is "does not apply".
type Timings struct {
	Blocked float64 `json:"blocked,omitempty"`
	DNS     float64 `json:"dns,omitempty"`
	Connect float64 `json:"connect,omitempty"`
	Send    float64 `json:"send"`
	Wait    float64 `json:"wait"`
	Receive float64 `json:"receive"`
	SSL     float64 `json:"ssl,omitempty"`
}

// Body returns the response body: Text, decoded when it is base64.
func (c *Content) Body() ([]byte, error) {
	if strings.EqualFold(c.Encoding, "base64") {
		b, err := base64.StdEncoding.DecodeString(c.Text)
		if err != nil {
			return nil, fmt.Errorf("har: response content: bad base64: %w", err)
		}
		return b, nil
	}
	return []byte(c.Text), nil
}

// Started parses StartedDateTime. HAR demands ISO 8601 with a zone; Chrome writes
// 2026-01-02T15:04:05.123Z, Playwright 2026-01-02T15:04:05.123Z too, others an offset.
func (e *Entry) Started() (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999Z0700"} {
		if t, err := time.Parse(layout, e.StartedDateTime); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("startedDateTime %q is not an ISO 8601 date and time with a zone", e.StartedDateTime)
}

// Duration is Time as a duration (0 for a negative or missing time).
func (e *Entry) Duration() time.Duration {
	if e.Time <= 0 {
		return 0
	}
	return time.Duration(e.Time * float64(time.Millisecond))
}

// Header returns the first value of a request header (case-insensitive), "" when absent.
func (r *Request) Header(name string) string { return first(r.Headers, name) }

// Header returns the first value of a response header (case-insensitive), "" when absent.
func (r *Response) Header(name string) string { return first(r.Headers, name) }

func first(hs []NameValue, name string) string {
	for _, h := range hs {
		if strings.EqualFold(h.Name, name) {
			return h.Value
		}
	}
	return ""
}
