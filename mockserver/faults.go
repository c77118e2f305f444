package mockserver

import (
	"errors"
	"fmt"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/workbinkit/workbinkit/spec"
)

// Fault is an HTTP fault rule (POST /_mock/faults): the next Count REST requests that
// match Method, Path and OperationName are delayed by Delay, answered with StatusCode (and
// HTTPStatus), or both. A fault applies to requests that passed authentication, the CSRF
// check and validation, before anything changes: a faulted request changes nothing.
type Fault struct {
	ID int `json:"id"`
	// Method matches the request method ("" any).
	Method string `json:"method,omitempty"`
	// Path matches the URL path: a path.Match pattern ("/api/v2/workbins/*"), or a prefix
	// ending in "/**" ("/api/v2/**"); "" matches any path.
	Path string `json:"path,omitempty"`
	// OperationName matches the body's operationName, or the operationId of a GET
	// ("getMe"); "" matches any.
	OperationName string `json:"operationName,omitempty"`
	// Count is how many requests the rule takes (default 1); Left how many it still will.
	Count int `json:"count,omitempty"`
	Left  int `json:"left"`
	// StatusCode, when set, is answered as {statusCode, statusMessage} with HTTPStatus (by
	// default the D3 status of the statusCode).
	StatusCode    *int   `json:"statusCode,omitempty"`
	HTTPStatus    int    `json:"httpStatus,omitempty"`
	StatusMessage string `json:"statusMessage,omitempty"`
	// Delay holds the request this long first (milliseconds or "2s").
	Delay Millis `json:"delay,omitempty"`
}

// ErrBadFault: a fault rule that cannot be used.
var ErrBadFault = errors.New("bad fault")

// MaxFaultDelay bounds an injected delay (HTTP and CometD), so that a typo cannot park
// requests for hours.
const MaxFaultDelay = 10 * time.Minute

func (f *Fault) check() error {
	if f.Count == 0 {
		f.Count = 1
	}
	if f.Count < 0 {
		return fmt.Errorf("%w: count must be positive", ErrBadFault)
	}
	if f.StatusCode == nil && f.Delay <= 0 {
		return fmt.Errorf("%w: give statusCode, delay or both", ErrBadFault)
	}
	if time.Duration(f.Delay) > MaxFaultDelay {
		return fmt.Errorf("%w: delay %s is over %s", ErrBadFault, f.Delay, MaxFaultDelay)
	}
	if f.Path != "" && !strings.HasSuffix(f.Path, "/**") {
		if _, err := path.Match(f.Path, "/"); err != nil {
			return fmt.Errorf("%w: path pattern %q: %v", ErrBadFault, f.Path, err)
		}
	}
	if f.StatusCode != nil {
		sc := spec.StatusCode(*f.StatusCode)
		if sc.Meaning() == "" || sc == spec.StatusOK {
			return fmt.Errorf("%w: statusCode %d is not an error statusCode (1-20)", ErrBadFault, *f.StatusCode)
		}
		if f.HTTPStatus == 0 {
			h, ok := sc.HTTPStatus()
			if !ok {
				return fmt.Errorf("%w: statusCode %d has no HTTP status in D3; give httpStatus", ErrBadFault, *f.StatusCode)
			}
			f.HTTPStatus = h
		}
		if f.HTTPStatus < 200 || f.HTTPStatus > 599 {
			return fmt.Errorf("%w: httpStatus %d", ErrBadFault, f.HTTPStatus)
		}
		if f.StatusMessage == "" {
			f.StatusMessage = "Injected fault: " + sc.Meaning()
		}
	} else if f.HTTPStatus != 0 {
		return fmt.Errorf("%w: httpStatus needs statusCode", ErrBadFault)
	}
	f.Method = strings.ToUpper(f.Method)
	f.Left = f.Count
	return nil
}

func (f *Fault) matches(method, urlPath, operation string) bool {
	if f.Method != "" && f.Method != method {
		return false
	}
	if f.OperationName != "" && f.OperationName != operation {
		return false
	}
	switch {
	case f.Path == "":
	case strings.HasSuffix(f.Path, "/**"):
		prefix := strings.TrimSuffix(f.Path, "**")
		if !strings.HasPrefix(urlPath+"/", prefix) {
			return false
		}
	default:
		if ok, _ := path.Match(f.Path, urlPath); !ok {
			return false
		}
	}
	return true
}

type faultTable struct {
	mu     sync.Mutex
	nextID int
	rules  []*Fault
}

func (t *faultTable) add(f Fault) (Fault, error) {
	if err := f.check(); err != nil {
		return Fault{}, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.nextID++
	f.ID = t.nextID
	t.rules = append(t.rules, &f)
	return f, nil
}

// take claims one use of the oldest matching rule.
func (t *faultTable) take(method, urlPath, operation string) (Fault, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for i, f := range t.rules {
		if !f.matches(method, urlPath, operation) {
			continue
		}
		f.Left--
		out := *f
		if f.Left <= 0 {
			t.rules = append(t.rules[:i:i], t.rules[i+1:]...)
		}
		return out, true
	}
	return Fault{}, false
}

func (t *faultTable) list() []Fault {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]Fault, len(t.rules))
	for i, f := range t.rules {
		out[i] = *f
	}
	return out
}

func (t *faultTable) clear() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.rules = nil
}
