package conformance

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/workbinkit/workbinkit/spec"
)

// Provisioning hooks: a vendor whose interactions are placed by its own routing system
// gives the suite a program (command mode) or an HTTP endpoint (webhook mode) that places
// one interaction in a workbin and answers with its id. The protocol, the same for both:
//
// The request is the JSON object HookRequest: on the program's standard input, and as
// the body of a POST (Content-Type: application/json). The program also gets it as
// environment variables (HookEnv*), on top of the suite's own environment, so a shell
// script needs no JSON parser.
//
// The answer is one JSON object on standard output, or as the 2xx reply's body:
// {"id": "<the interaction's id>"} (other members are ignored, so the reply of an API
// that returns the created interaction will do), or {"skip": "<why>"} when the hook
// cannot place that media in that workbin (the spec is then skipped, as when a list
// runs out). Anything else fails the spec, naming the hook, its exit status or HTTP
// status, and its output (bounded, masked). timeouts.provision bounds a call; a program
// still running then is killed, with every process it started (on unix it runs in a
// process group of its own). A program that exited 0 has answered, even if a child it left
// holds its output open: that child is killed after hookWaitDelay.
const (
	ProvisionCommand ProvisioningMode = "command"
	ProvisionWebhook ProvisioningMode = "webhook"
)

// Webhook is where webhook mode POSTs its requests.
type Webhook struct {
	URL string `json:"url" yaml:"url"`
	// Headers are sent with every request (an API key header, say). The values of
	// Authorization, Proxy-Authorization, Cookie and of names containing token, key,
	// secret, password, auth, signature or session are masked in reports; others (X-Lab:
	// conformance) are not. The URL's password and query values are masked where it
	// appears.
	Headers map[string]string `json:"headers,omitempty" yaml:"headers"`
	// BearerTokenEnv names an environment variable whose value is sent as
	// "Authorization: Bearer …" (secrets stay out of the file).
	BearerTokenEnv string `json:"bearerTokenEnv,omitempty" yaml:"bearerTokenEnv"`
	// bearerToken is BearerTokenEnv's value (Options.Resolve).
	bearerToken string
}

// HookRequest asks a hook to place one interaction.
type HookRequest struct {
	// Media is workitem, chat or email.
	Media spec.Media `json:"media"`
	// Workbin is the workbin's id; WorkbinGroup and WorkbinParam are set for a group
	// workbin (the group's name, and agentGroup or placeGroup).
	Workbin      string `json:"workbin"`
	WorkbinGroup string `json:"workbinGroup,omitempty"`
	WorkbinParam string `json:"workbinParam,omitempty"`
	// Owner is the user name of the agent whose workbin it is (for a group workbin, the
	// agent who reads it); OwnerRole is their role in the config (agent, agent2); OwnerID
	// their id as GET /api/v2/me gave it.
	Owner     string `json:"owner"`
	OwnerRole Role   `json:"ownerRole"`
	OwnerID   string `json:"ownerId,omitempty"`
	// Spec is the id of the spec that needs the interaction; Target the server under test.
	Spec   string `json:"spec"`
	Target string `json:"target"`
}

// Environment variables a command hook gets (the same values as HookRequest).
const (
	HookEnvMedia        = "WORKBINKIT_MEDIA"
	HookEnvWorkbin      = "WORKBINKIT_WORKBIN"
	HookEnvWorkbinGroup = "WORKBINKIT_WORKBIN_GROUP"
	HookEnvWorkbinParam = "WORKBINKIT_WORKBIN_PARAM"
	HookEnvOwner        = "WORKBINKIT_OWNER"
	HookEnvOwnerRole    = "WORKBINKIT_OWNER_ROLE"
	HookEnvOwnerID      = "WORKBINKIT_OWNER_ID"
	HookEnvSpec         = "WORKBINKIT_SPEC"
	HookEnvTarget       = "WORKBINKIT_TARGET"
)

func (r HookRequest) env() []string {
	return []string{
		HookEnvMedia + "=" + string(r.Media), HookEnvWorkbin + "=" + r.Workbin,
		HookEnvWorkbinGroup + "=" + r.WorkbinGroup, HookEnvWorkbinParam + "=" + r.WorkbinParam,
		HookEnvOwner + "=" + r.Owner, HookEnvOwnerRole + "=" + string(r.OwnerRole), HookEnvOwnerID + "=" + r.OwnerID,
		HookEnvSpec + "=" + r.Spec, HookEnvTarget + "=" + r.Target,
	}
}

// HookReply is a hook's answer.
type HookReply struct {
	ID   string `json:"id"`
	Skip string `json:"skip"`
}

// Bounds of what the suite keeps of a hook's output.
const (
	// hookOutputLimit is how much of each of stdout and stderr (and of a webhook's
	// reply) is read; the rest is discarded.
	hookOutputLimit = 64 << 10
	// hookShownLimit is how much of each is quoted in a failure.
	hookShownLimit = 2 << 10
	// hookWaitDelay bounds the wait for a killed program's output pipes: a child it
	// started may hold them open.
	hookWaitDelay = 2 * time.Second
)

// HookError is a hook call that failed: the hook, what went wrong, and its output.
type HookError struct {
	// Hook names it: the command line, or POST and the URL (its password and query
	// values masked). Once Place returns, Hook and Err are masked like the output.
	Hook string
	// Problem says what went wrong ("exited with status 3", "answered HTTP 500", "no
	// answer within 10s (timeouts.provision)", "printed nothing usable").
	Problem string
	// Stdout and Stderr are a command's output; Reply is a webhook's reply body. Bounded
	// (hookOutputLimit) and, once Place returns, masked.
	Stdout, Stderr, Reply string
	Err                   error
	webhook               bool
}

func (e *HookError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "provisioning hook %s: %s", e.Hook, e.Problem)
	if e.Err != nil {
		fmt.Fprintf(&b, ": %v", e.Err)
	}
	outputs := []struct{ name, text string }{{"stdout", e.Stdout}, {"stderr", e.Stderr}}
	if e.webhook {
		outputs = []struct{ name, text string }{{"reply", e.Reply}}
	}
	for _, o := range outputs {
		if t := strings.TrimSpace(o.text); t != "" {
			fmt.Fprintf(&b, "\n  %s: %s", o.name, strings.ReplaceAll(clipText(t, hookShownLimit), "\n", "\n    "))
		} else {
			fmt.Fprintf(&b, "\n  %s: (empty)", o.name)
		}
	}
	return b.String()
}

func (e *HookError) Unwrap() error { return e.Err }

// hookProvisioner places interactions through a command or webhook hook.
type hookProvisioner struct {
	mode    ProvisioningMode
	command []string
	webhook Webhook
	client  *http.Client
	// clientErr is why client could not be built.
	clientErr error
	// waitDelay bounds the wait for the program's output once it has exited or been
	// killed (hookWaitDelay when 0).
	waitDelay time.Duration
}

func (p *hookProvisioner) Mode() ProvisioningMode { return p.mode }

func (p *hookProvisioner) Return(context.Context, *T, string, placement, Role) {}

func (p *hookProvisioner) Place(ctx context.Context, t *T, w WorkbinRef, m spec.Media) (string, error) {
	req := HookRequest{
		Media: m, Workbin: w.ID, WorkbinGroup: w.Group, WorkbinParam: w.Param,
		Owner: t.s.opts.Users.Credentials(w.Owner).User, OwnerRole: w.Owner, OwnerID: t.s.info.userID(w.Owner),
		Spec: t.id, Target: strings.TrimSuffix(t.s.opts.Target, "/"),
	}
	id, err := p.place(ctx, req)
	var he *HookError
	if errors.As(err, &he) {
		m := t.s.mask
		he.Hook, he.Stdout, he.Stderr, he.Reply = m.String(he.Hook), m.String(he.Stdout), m.String(he.Stderr), m.String(he.Reply)
		if he.Err != nil {
			he.Err = &maskedError{msg: m.String(he.Err.Error()), err: he.Err}
		}
	}
	return id, err
}

// maskedError is err with its message masked; errors.Is and As still see err.
type maskedError struct {
	msg string
	err error
}

func (e *maskedError) Error() string { return e.msg }
func (e *maskedError) Unwrap() error { return e.err }

func (p *hookProvisioner) place(ctx context.Context, req HookRequest) (string, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return "", fmt.Errorf("provisioning hook: encoding the request: %w", err)
	}
	if p.mode == ProvisionWebhook {
		return p.post(ctx, body)
	}
	return p.run(ctx, req, body)
}

// run runs the command hook once, in a process group of its own (on unix) so that a
// timeout stops whatever it started too.
func (p *hookProvisioner) run(ctx context.Context, req HookRequest, body []byte) (string, error) {
	name := strings.Join(p.command, " ")
	cmd := exec.CommandContext(ctx, p.command[0], p.command[1:]...)
	ownProcessGroup(cmd)
	cmd.Env = append(os.Environ(), req.env()...)
	cmd.Stdin = bytes.NewReader(body)
	var stdout, stderr boundedBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = p.waitDelay
	if cmd.WaitDelay <= 0 {
		cmd.WaitDelay = hookWaitDelay
	}
	start := time.Now()
	err := cmd.Run()
	if errors.Is(err, exec.ErrWaitDelay) {
		// The program exited, but something it started held its output open past
		// WaitDelay: stop that too. What the program printed stands.
		_ = killProcessGroup(cmd)
	}
	fail := func(problem string, err error) error {
		return &HookError{Hook: name, Problem: problem, Stdout: stdout.String(), Stderr: stderr.String(), Err: err}
	}
	// The exit status first: a program that exited 0 has answered, even when the timeout
	// expired as it did (then err is ctx's) or while a child of it held its output.
	if st := cmd.ProcessState; st != nil && st.Success() {
		return answer(stdout.Bytes(), func(problem string) error { return fail(problem, nil) })
	}
	if ctx.Err() != nil {
		return "", fail(timeoutProblem(ctx, time.Since(start)), nil)
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return "", fail(fmt.Sprintf("exited with status %d", ee.ExitCode()), nil)
	}
	return "", fail("could not be run", err)
}

// post calls the webhook once.
func (p *hookProvisioner) post(ctx context.Context, body []byte) (string, error) {
	name := "POST " + redactURL(p.webhook.URL)
	if p.clientErr != nil {
		return "", &HookError{Hook: name, Problem: "its HTTP client could not be set up", Err: p.clientErr, webhook: true}
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, p.webhook.URL, bytes.NewReader(body))
	if err != nil {
		return "", &HookError{Hook: name, Problem: "the request could not be made", Err: err, webhook: true}
	}
	hr.Header.Set("Content-Type", "application/json")
	hr.Header.Set("Accept", "application/json")
	hr.Header.Set("User-Agent", "workbinkit-conformance/"+SuiteVersion+" provisioning")
	for k, v := range p.webhook.Headers {
		hr.Header.Set(k, v)
	}
	if p.webhook.bearerToken != "" {
		hr.Header.Set("Authorization", "Bearer "+p.webhook.bearerToken)
	}
	start := time.Now()
	resp, err := p.client.Do(hr)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			ue.URL = redactURL(ue.URL) // it quotes the URL, ?code=… and all
		}
		if ctx.Err() != nil {
			return "", &HookError{Hook: name, Problem: timeoutProblem(ctx, time.Since(start)), webhook: true}
		}
		return "", &HookError{Hook: name, Problem: "could not be reached", Err: err, webhook: true}
	}
	defer resp.Body.Close()
	var reply boundedBuffer
	_, err = io.Copy(&reply, resp.Body)
	fail := func(problem string, err error) error {
		return &HookError{Hook: name, Problem: problem, Reply: reply.String(), Err: err, webhook: true}
	}
	switch {
	case ctx.Err() != nil:
		return "", fail(timeoutProblem(ctx, time.Since(start)), nil)
	case err != nil:
		return "", fail("the reply could not be read", err)
	case resp.StatusCode/100 != 2:
		return "", fail(fmt.Sprintf("answered HTTP %d", resp.StatusCode), nil)
	}
	return answer(reply.Bytes(), func(problem string) error { return fail(problem, nil) })
}

// timeoutProblem says why ctx ended a hook call.
func timeoutProblem(ctx context.Context, took time.Duration) string {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Sprintf("no answer within %s (timeouts.provision); stopped", took.Round(time.Millisecond))
	}
	return "stopped: the spec ended (interrupted or past its timeout)"
}

// answer reads a hook's reply: one JSON object with a non-empty id or skip.
func answer(out []byte, fail func(problem string) error) (string, error) {
	const want = `want one JSON object, {"id": "…"} or {"skip": "why"}`
	trimmed := bytes.TrimSpace(out)
	if len(trimmed) == 0 {
		return "", fail("printed nothing: " + want)
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	var r HookReply
	if err := dec.Decode(&r); err != nil {
		return "", fail(fmt.Sprintf("printed no JSON object (%v): %s", err, want))
	}
	if dec.More() {
		return "", fail("printed more than one JSON value: " + want)
	}
	switch {
	case strings.TrimSpace(r.ID) != "":
		return r.ID, nil
	case strings.TrimSpace(r.Skip) != "":
		return "", fmt.Errorf("%w: the provisioning hook says: %s", ErrCannotProvision, clipText(r.Skip, 200))
	}
	return "", fail("printed no id: " + want)
}

// boundedBuffer keeps the first hookOutputLimit bytes written to it and discards (but
// accepts) the rest, so a chatty hook neither blocks nor fills memory.
type boundedBuffer struct {
	buf       bytes.Buffer
	truncated bool
}

func (b *boundedBuffer) Write(p []byte) (int, error) {
	room := hookOutputLimit - b.buf.Len()
	if len(p) > room {
		b.truncated = true
		b.buf.Write(p[:max(room, 0)])
		return len(p), nil
	}
	return b.buf.Write(p)
}

func (b *boundedBuffer) Bytes() []byte { return b.buf.Bytes() }

func (b *boundedBuffer) String() string {
	if b.truncated {
		return b.buf.String() + fmt.Sprintf("… (cut at %d bytes)", hookOutputLimit)
	}
	return b.buf.String()
}

// validateHook checks the hook of command and webhook modes.
func (o *Options) validateHook(bad func(format string, args ...any)) {
	switch o.Provisioning.Mode {
	case ProvisionCommand:
		if len(o.Provisioning.Command) == 0 || strings.TrimSpace(o.Provisioning.Command[0]) == "" {
			bad("provisioning.command: command mode needs the program that places an interaction, e.g. [./place.sh] or [python3, place.py]")
		}
	case ProvisionWebhook:
		u, err := url.Parse(o.Provisioning.Webhook.URL)
		if o.Provisioning.Webhook.URL == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("provisioning.webhook.url %q: webhook mode needs an http(s) URL to POST to", redactURL(o.Provisioning.Webhook.URL))
		}
	}
}

// resolveHook reads the webhook's bearer token from the environment.
func (o *Options) resolveHook(getenv func(string) string) error {
	w := &o.Provisioning.Webhook
	if w.BearerTokenEnv == "" {
		return nil
	}
	if w.bearerToken = getenv(w.BearerTokenEnv); w.bearerToken == "" {
		return fmt.Errorf("conformance: provisioning.webhook.bearerTokenEnv: %s is empty or unset", w.BearerTokenEnv)
	}
	return nil
}

// hookSecrets are the webhook's secrets, for the masker: its bearer token, the values of
// its secret-bearing headers (secretHeaderName) and its URL's password; and its URL with
// the password and query values (?code=…) masked, to put wherever the URL appears.
func (o *Options) hookSecrets() (secrets []string, rewrites map[string]string) {
	w := o.Provisioning.Webhook
	secrets = []string{w.bearerToken}
	for k, v := range w.Headers {
		if secretHeaderName(k) {
			secrets = append(secrets, v)
		}
	}
	if w.URL == "" {
		return secrets, nil
	}
	if u, err := url.Parse(w.URL); err == nil && u.User != nil {
		if pw, ok := u.User.Password(); ok {
			secrets = append(secrets, pw)
		}
	}
	// Masker.String masks the userinfo first (maskUserinfo): rewrite that form too.
	r := redactURL(w.URL)
	return secrets, map[string]string{w.URL: r, maskUserinfo.ReplaceAllString(w.URL, "${1}"+Masked+"@"): r}
}

// newHookProvisioner builds the provisioner of command and webhook modes. A webhook whose
// client cannot be built (its TLS configuration) fails every call saying why; Validate,
// which builds the same TLS configuration, has reported it already, before any request.
func newHookProvisioner(o *Options) *hookProvisioner {
	p := &hookProvisioner{mode: o.Provisioning.Mode, command: o.Provisioning.Command, webhook: o.Provisioning.Webhook}
	if p.mode == ProvisionWebhook {
		p.client, p.clientErr = webhookClient(o)
	}
	return p
}

// webhookClient is the HTTP client of webhook mode: the TLS configuration of the options
// (tls.caFile, tls.insecureSkipVerify) for an https URL; no redirects to another host's
// hook; ctx (timeouts.provision) bounds each call.
func webhookClient(o *Options) (*http.Client, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if u, err := url.Parse(o.Provisioning.Webhook.URL); err == nil && u.Scheme == "https" {
		cfg, err := tlsConfig(&o.TLS)
		if err != nil {
			return nil, err
		}
		tr.TLSClientConfig = cfg
	}
	return &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}, nil
}
