package mockserver

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	// go.yaml.in/yaml/v4 is already linked into the binary by kin-openapi (its YAML loader),
	// so reading YAML option files adds no dependency to the build.
	"go.yaml.in/yaml/v4"

	"github.com/workbinkit/workbinkit/bayeux"
)

// Options are the mock's behaviour switches. They can be set from a file (YAML or JSON),
// flags and environment variables, and changed while the mock runs (PUT/PATCH
// /_mock/options). The JSON names are the documented option names where GWS has one.
type Options struct {
	// EnableCsrfProtection: POST/PUT/DELETE need the session's X-CSRF-TOKEN (D8). Default true.
	EnableCsrfProtection bool `json:"enableCsrfProtection"`
	// EnableNotificationOnPullChat false: PullChat (and PullInteraction of a chat) answers
	// 403 / statusCode 3 naming the option and changes nothing (D6). EnableJoinOnPullChat
	// false: the pull succeeds but the agent does not join, so the chat goes to him in state
	// JoinFailed (captured on a real GWS; that this is the outcome is an INFERENCE, D6).
	// Default true.
	EnableNotificationOnPullChat bool `json:"enableNotificationOnPullChat"`
	EnableJoinOnPullChat         bool `json:"enableJoinOnPullChat"`
	// CometD holds the Bayeux timings.
	CometD CometDOptions `json:"cometd"`
	// CORSAllowedOrigins are the browser origins allowed to call the mock with credentials:
	// an exact origin ("http://localhost:3000"), an origin with any port
	// ("http://localhost:*"), or "*" for any origin. Default: localhost and 127.0.0.1 on any
	// port, http and https.
	CORSAllowedOrigins []string `json:"corsAllowedOrigins"`
	// AllowedHosts are the Host names, besides the loopback ones, under which the control
	// plane (/_mock/) answers: a name ("mock.internal", any port), a name with a port
	// ("mock.internal:8090"), "*.example.com" for its subdomains, or "*" for any host. The
	// loopback names (localhost, *.localhost, 127.0.0.0/8, [::1]) are always allowed, and a
	// request with the admin token is allowed whatever its Host. Default: none.
	AllowedHosts []string `json:"allowedHosts"`
	// Strict reports unknown request body fields (GWS ignores them, D2) as violations of
	// kind "request-field": client faults, logged as warnings, listed and counted with the
	// mock's own violations; the request is still served.
	Strict bool `json:"strict"`
}

// CometDOptions are the Bayeux timings (CometD 3 defaults, D9). In files and the admin API
// they are milliseconds (a number) or a Go duration string ("30s").
type CometDOptions struct {
	Timeout     Millis `json:"timeout"`
	Interval    Millis `json:"interval"`
	MaxInterval Millis `json:"maxInterval"`
}

// Millis is a duration written as integer milliseconds in JSON (as CometD writes its
// timings); a duration string such as "30s" is accepted too.
type Millis time.Duration

// MarshalJSON writes whole milliseconds.
func (m Millis) MarshalJSON() ([]byte, error) {
	return strconv.AppendInt(nil, time.Duration(m).Milliseconds(), 10), nil
}

// UnmarshalJSON reads milliseconds or a duration string.
func (m *Millis) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		d, err := ParseMillis(s)
		if err != nil {
			return err
		}
		*m = d
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("a duration is milliseconds or a string such as \"30s\": %w", err)
	}
	v, err := n.Int64()
	if err != nil || v < 0 {
		return fmt.Errorf("a duration in milliseconds must be a non-negative integer, got %s", n)
	}
	*m = Millis(time.Duration(v) * time.Millisecond)
	return nil
}

// ParseMillis reads "30s", "1m30s" or a bare number of milliseconds ("30000").
func ParseMillis(s string) (Millis, error) {
	s = strings.TrimSpace(s)
	if v, err := strconv.ParseInt(s, 10, 64); err == nil {
		if v < 0 {
			return 0, fmt.Errorf("duration %q is negative", s)
		}
		return Millis(time.Duration(v) * time.Millisecond), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("duration %q: want milliseconds or a Go duration such as 30s", s)
	}
	if d < 0 {
		return 0, fmt.Errorf("duration %q is negative", s)
	}
	return Millis(d), nil
}

func (m Millis) String() string { return time.Duration(m).String() }

// DefaultCORSOrigins are the origins allowed by default: any port on the loopback names.
func DefaultCORSOrigins() []string {
	return []string{
		"http://localhost:*", "https://localhost:*",
		"http://127.0.0.1:*", "https://127.0.0.1:*",
		"http://[::1]:*", "https://[::1]:*",
	}
}

// DefaultOptions are production-like: CSRF on, both PullChat gates on, CometD 3 timings.
func DefaultOptions() Options {
	return Options{
		EnableCsrfProtection:         true,
		EnableNotificationOnPullChat: true,
		EnableJoinOnPullChat:         true,
		CometD: CometDOptions{
			Timeout:     Millis(bayeux.DefaultTimeout),
			Interval:    Millis(bayeux.DefaultInterval),
			MaxInterval: Millis(bayeux.DefaultMaxInterval),
		},
		CORSAllowedOrigins: DefaultCORSOrigins(),
		AllowedHosts:       []string{},
	}
}

// ErrBadOptions: an options document or value that cannot be used.
var ErrBadOptions = errors.New("bad options")

// Validate checks the values.
func (o Options) Validate() error {
	if o.CometD.Timeout <= 0 {
		return fmt.Errorf("%w: cometd.timeout must be positive", ErrBadOptions)
	}
	if o.CometD.MaxInterval <= 0 {
		return fmt.Errorf("%w: cometd.maxInterval must be positive", ErrBadOptions)
	}
	for _, p := range o.CORSAllowedOrigins {
		if err := checkOriginPattern(p); err != nil {
			return fmt.Errorf("%w: corsAllowedOrigins: %v", ErrBadOptions, err)
		}
	}
	for _, p := range o.AllowedHosts {
		if err := checkHostPattern(p); err != nil {
			return fmt.Errorf("%w: allowedHosts: %v", ErrBadOptions, err)
		}
	}
	return nil
}

// ApplyJSON decodes a JSON options document onto o: members it names replace those of o,
// the others stay. Unknown members are errors (a misspelt option must not pass silently).
func (o Options) ApplyJSON(doc []byte) (Options, error) {
	if err := exactKeys(doc, reflect.TypeFor[Options](), ""); err != nil {
		return o, fmt.Errorf("%w: %v", ErrBadOptions, err)
	}
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.DisallowUnknownFields()
	out := o
	out.CORSAllowedOrigins = slices.Clone(o.CORSAllowedOrigins)
	out.AllowedHosts = slices.Clone(o.AllowedHosts)
	if err := dec.Decode(&out); err != nil {
		return o, fmt.Errorf("%w: %v", ErrBadOptions, err)
	}
	if dec.More() {
		return o, fmt.Errorf("%w: data after the options object", ErrBadOptions)
	}
	if err := out.Validate(); err != nil {
		return o, err
	}
	out.normalize()
	return out, nil
}

// exactKeys refuses members that are not json tags of t, compared exactly (encoding/json
// alone matches names case-insensitively, so "enablecsrfprotection" would pass). Nested
// structs are checked too.
func exactKeys(doc []byte, t reflect.Type, at string) error {
	var m map[string]json.RawMessage
	if json.Unmarshal(doc, &m) != nil {
		return nil // not an object: the decoder reports it
	}
	fields := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		fields[name] = f.Type
	}
	for k, v := range m {
		ft, ok := fields[k]
		if !ok {
			return fmt.Errorf("unknown option %q", at+k)
		}
		if ft.Kind() == reflect.Struct {
			if err := exactKeys(v, ft, at+k+"."); err != nil {
				return err
			}
		}
	}
	return nil
}

// ApplyYAML is ApplyJSON for a YAML document (JSON is YAML too).
func (o Options) ApplyYAML(doc []byte) (Options, error) {
	var v any
	if err := yaml.Unmarshal(doc, &v); err != nil {
		return o, fmt.Errorf("%w: %v", ErrBadOptions, err)
	}
	if v == nil {
		return o, nil // an empty file changes nothing
	}
	j, err := json.Marshal(v)
	if err != nil {
		return o, fmt.Errorf("%w: %v", ErrBadOptions, err)
	}
	return o.ApplyJSON(j)
}

// LoadOptionsFile applies an options file (.json as JSON, anything else as YAML) onto o.
func (o Options) LoadOptionsFile(path string) (Options, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return o, fmt.Errorf("options file: %w", err)
	}
	var out Options
	if strings.EqualFold(filepath.Ext(path), ".json") {
		out, err = o.ApplyJSON(data)
	} else {
		out, err = o.ApplyYAML(data)
	}
	if err != nil {
		return o, fmt.Errorf("options file %s: %w", path, err)
	}
	return out, nil
}

// checkOriginPattern accepts "*", "scheme://host" and "scheme://host:port" with port "*".
func checkOriginPattern(p string) error {
	if p == "*" {
		return nil
	}
	u, err := url.Parse(strings.Replace(p, ":*", ":0", 1))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" || u.RawQuery != "" || u.User != nil {
		return fmt.Errorf("origin %q: want scheme://host[:port], port may be *", p)
	}
	return nil
}

// originAllowed matches an Origin header against the patterns.
func originAllowed(origin string, patterns []string) bool {
	if origin == "" || origin == "null" {
		return false
	}
	for _, p := range patterns {
		switch {
		case p == "*", strings.EqualFold(p, origin):
			return true
		case strings.HasSuffix(p, ":*"):
			base := p[:len(p)-2]
			if strings.EqualFold(origin, base) {
				return true
			}
			if len(origin) > len(base)+1 && strings.EqualFold(origin[:len(base)], base) && origin[len(base)] == ':' {
				if port := origin[len(base)+1:]; port != "" && allDigits(port) {
					return true
				}
			}
		}
	}
	return false
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// normalize makes the lists empty rather than nil: none allowed, and a list in JSON too.
func (o *Options) normalize() {
	if o.CORSAllowedOrigins == nil {
		o.CORSAllowedOrigins = []string{}
	}
	if o.AllowedHosts == nil {
		o.AllowedHosts = []string{}
	}
}

// checkHostPattern accepts "*", "*.domain", a host name or IP, and either with ":port"
// (IPv6 in brackets).
func checkHostPattern(p string) error {
	if p == "*" {
		return nil
	}
	host, port := splitHost(p)
	name := strings.TrimPrefix(host, "*.")
	bad := name == "" || strings.ContainsAny(name, "*/@?#[] ") || (port != "" && !allDigits(port))
	if !bad && strings.Contains(name, ":") && net.ParseIP(name) == nil {
		bad = true
	}
	if bad {
		return fmt.Errorf("host %q: want a host name or IP, optionally with :port, *.domain, or *", p)
	}
	return nil
}

// splitHost splits a Host header value (or a pattern) into the lower-case host, without
// brackets or a trailing dot, and the port ("" when none).
func splitHost(hostport string) (host, port string) {
	host = hostport
	if h, p, err := net.SplitHostPort(hostport); err == nil {
		host, port = h, p
	} else if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
		host = host[1 : len(host)-1]
	}
	return strings.TrimSuffix(strings.ToLower(host), "."), port
}

// isLoopbackHost reports whether a host name can only mean this machine: localhost and
// its subdomains (RFC 6761: they resolve to loopback and no one can register them), or a
// loopback IP.
func isLoopbackHost(host string) bool {
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// hostAllowed matches a request's Host against the loopback names and the patterns.
func hostAllowed(hostport string, patterns []string) bool {
	host, port := splitHost(hostport)
	if host == "" {
		return false
	}
	if isLoopbackHost(host) {
		return true
	}
	for _, p := range patterns {
		if p == "*" {
			return true
		}
		ph, pp := splitHost(p)
		if pp != "" && pp != port {
			continue
		}
		if sub, ok := strings.CutPrefix(ph, "*."); ok {
			if strings.HasSuffix(host, "."+sub) {
				return true
			}
		} else if host == ph {
			return true
		}
	}
	return false
}
