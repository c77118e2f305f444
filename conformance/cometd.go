package conformance

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/workbinkit/workbinkit/bayeux"
	"github.com/workbinkit/workbinkit/spec"
)

// Listener is one user's CometD session: a bayeux.Client sharing the user's cookie jar,
// subscribed to channels, its connect loop running, every exchange recorded (masked).
// Specs poll its snapshots; nothing reads a shared Go channel.
type Listener struct {
	role   Role
	client *bayeux.Client
	rec    *bayeux.Recorder

	stop context.CancelFunc
	done chan error
	// networkDelay is what the client adds to the advised timeout for a connect's HTTP
	// timeout (ClientOptions.NetworkDelay): subtracted from a recorded connect's timeout,
	// it gives back the timeout the server advised.
	networkDelay time.Duration

	mu sync.Mutex
	// judged are the indexes of the events already checked against the contract, for the
	// spec (it caused them) or by the stream-level check (it did not).
	judged map[int]bool
	// stopped is why the connect loop ended ("" while it runs, or when it ended because
	// the spec stopped it).
	stopped string
}

// Notification is a delivered event with its GWS payload decoded.
type Notification struct {
	// Index is its position among the listener's events (0-based), for ordering checks.
	Index   int
	Channel string
	Data    map[string]any
	Raw     json.RawMessage
}

// MessageType is data.messageType.
func (n Notification) MessageType() string { s, _ := n.Data[spec.FieldMessageType].(string); return s }

// Describe names the notification in failure messages.
func (n Notification) Describe() string {
	return "CometD " + n.Channel + " " + n.MessageType()
}

// newRecorder is the recorder every CometD client of the suite uses: clientIds aliased,
// the CSRF token masked along with the built-in secrets.
func newRecorder() *bayeux.Recorder {
	return bayeux.NewRecorder(bayeux.Redaction{ClientID: true, Headers: []string{spec.HeaderCSRFToken}})
}

// newBayeuxClient makes a client on the target's CometD endpoint sharing sess's cookies.
func (t *target) newBayeuxClient(sess *Session, rec *bayeux.Recorder, userAgent string) *bayeux.Client {
	return bayeux.NewClient(t.cometd, bayeux.ClientOptions{
		HTTPClient:   sess.HTTPClient(),
		Header:       http.Header{"User-Agent": {userAgent}},
		Recorder:     rec,
		Name:         string(sess.role),
		NetworkDelay: t.timeouts.Request.D(),
		// A failed connect is retried soon: a spec's wait is seconds, not a minute.
		BackoffIncrement: 100 * time.Millisecond,
		MaxBackoff:       time.Second,
	})
}

// run runs the connect loop until ctx ends or the loop gives up, and remembers why it
// stopped (see fault).
func (l *Listener) run(ctx context.Context) {
	err := l.client.Run(ctx)
	if err != nil && ctx.Err() == nil {
		l.mu.Lock()
		l.stopped = err.Error()
		l.mu.Unlock()
	}
	l.done <- err
}

// fault says, at now, why the listener can no longer deliver events ("" while it can): its
// connect loop gave up, or the target holds a /meta/connect past the timeout it advised
// plus margin (a connect that never returns: the events it would carry never come, and
// the client itself would wait the advised timeout plus its network delay before trying
// again). The first connect of a session, which the client asks to be answered at once,
// is given the advised timeout too: a target that holds it is slow, not dead.
func (l *Listener) fault(now time.Time, margin time.Duration) string {
	l.mu.Lock()
	stopped := l.stopped
	l.mu.Unlock()
	if stopped != "" {
		return "its CometD connect loop stopped: " + stopped
	}
	for _, e := range l.rec.Entries() {
		if e.Done || !slices.ContainsFunc(e.Request, func(m bayeux.Message) bool { return m.Channel == bayeux.MetaConnect }) {
			continue
		}
		advised := max(e.Timeout-l.networkDelay, 0)
		if held := now.Sub(e.Sent); held > advised+margin {
			return fmt.Sprintf("the target has held its /meta/connect (exchange #%d) for %s without an answer, past the advised timeout %s + %s: "+
				"it does not answer /meta/connect, so no event can arrive", e.Seq, held.Round(100*time.Millisecond), advised, margin)
		}
	}
	return ""
}

// pendingConnect is how long the oldest /meta/connect still unanswered at now has been out.
func (l *Listener) pendingConnect(now time.Time) (time.Duration, bool) {
	for _, e := range l.rec.Entries() {
		if !e.Done && slices.ContainsFunc(e.Request, func(m bayeux.Message) bool { return m.Channel == bayeux.MetaConnect }) {
			return now.Sub(e.Sent), true
		}
	}
	return 0, false
}

// events returns the delivered events so far.
func (l *Listener) events() []Notification {
	var out []Notification
	for i, m := range l.rec.Events() {
		n := Notification{Index: i, Channel: m.Message.Channel, Raw: m.Raw}
		if err := decodeNumber(m.Message.Data, &n.Data); err != nil {
			n.Data = nil
		}
		out = append(out, n)
	}
	return out
}

// about returns the events whose payload mentions id (as a JSON string value).
func (l *Listener) about(id string) []Notification {
	var out []Notification
	needle := `"` + id + `"`
	for _, n := range l.events() {
		if strings.Contains(string(n.Raw), needle) {
			out = append(out, n)
		}
	}
	return out
}

// transcript is the masked Bayeux transcript.
func (l *Listener) transcript(m *Masker) string {
	var b strings.Builder
	_ = l.rec.WriteTranscript(&b)
	return m.String(b.String())
}

// unjudged returns the events not yet checked against the contract, in order; take marks
// which of them the caller judges now (the rest stay for a later call).
func (l *Listener) unjudged(take func(Notification) bool) []Notification {
	evs := l.events()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.judged == nil {
		l.judged = map[int]bool{}
	}
	var out []Notification
	for _, n := range evs {
		if !l.judged[n.Index] && take(n) {
			l.judged[n.Index] = true
			out = append(out, n)
		}
	}
	return out
}

// isContractChannel reports whether the contract describes channel (a real GWS also
// publishes /v2/me/devices and others, which this suite does not check).
func isContractChannel(channel string) bool { return slices.Contains(spec.Channels(), channel) }
