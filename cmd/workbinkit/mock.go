package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/workbinkit/workbinkit/fixtures"
	"github.com/workbinkit/workbinkit/internal/version"
	"github.com/workbinkit/workbinkit/mockserver"
	"github.com/workbinkit/workbinkit/spec"
)

// mockShutdownGrace bounds the graceful stop: held CometD connects are answered at once,
// in-flight requests get the rest, and the whole stop (state file included) stays under 5 s.
const mockShutdownGrace = 4 * time.Second

// mockSettings is everything `workbinkit mock` is configured with.
type mockSettings struct {
	addr, fixtures, optionsFile, stateFile, adminToken, logLevel string
	deviations                                                   []mockserver.Deviation
	opts                                                         mockserver.Options
	// sources names where each setting given came from: "--addr" or "WORKBINKIT_ADDR".
	sources map[string]string
}

// origin names where setting name came from, for messages: its flag, or the environment
// variable that set it.
func (s *mockSettings) origin(name string) string {
	if src, ok := s.sources[name]; ok {
		return src
	}
	return "--" + name
}

// given is setting name with its value as the user wrote it: "--addr 127.0.0.1:8090" or
// "WORKBINKIT_ADDR=127.0.0.1:8090".
func (s *mockSettings) given(name, value string) string {
	if src := s.origin(name); !strings.HasPrefix(src, "--") {
		return src + "=" + value
	}
	return "--" + name + " " + value
}

// mockSetting is one flag with its environment variable. Precedence: flag, then
// environment, then the options file, then the default.
type mockSetting struct {
	name, env, usage string
	boolean          bool
	// list: the flag may be repeated, its values joined with commas (as in the variable).
	list  bool
	def   string
	apply func(s *mockSettings, v string) error
	value settingValue
}

// settingValue records a flag's raw value and whether it was given.
type settingValue struct {
	raw     string
	set     bool
	boolean bool
	list    bool
}

func (v *settingValue) String() string   { return v.raw }
func (v *settingValue) IsBoolFlag() bool { return v.boolean }
func (v *settingValue) Set(s string) error {
	if v.boolean {
		if _, err := strconv.ParseBool(s); err != nil {
			return fmt.Errorf("want true or false, got %q", s)
		}
	}
	if v.list && v.set {
		s = v.raw + "," + s
	}
	v.raw, v.set = s, true
	return nil
}

func parseBool(s string) (bool, error) {
	b, err := strconv.ParseBool(strings.TrimSpace(s))
	if err != nil {
		return false, fmt.Errorf("want true or false, got %q", s)
	}
	return b, nil
}

func mockSettingsTable() []*mockSetting {
	def := mockserver.DefaultOptions()
	boolOpt := func(field func(*mockserver.Options) *bool) func(*mockSettings, string) error {
		return func(s *mockSettings, v string) error {
			b, err := parseBool(v)
			*field(&s.opts) = b
			return err
		}
	}
	durOpt := func(field func(*mockserver.Options) *mockserver.Millis) func(*mockSettings, string) error {
		return func(s *mockSettings, v string) error {
			d, err := mockserver.ParseMillis(v)
			*field(&s.opts) = d
			return err
		}
	}
	return []*mockSetting{
		{name: "addr", env: "WORKBINKIT_ADDR", def: "127.0.0.1:8090",
			usage: "listen address HOST:PORT (port 0: any free port); any non-loopback address needs --admin-token",
			apply: func(s *mockSettings, v string) error {
				if _, port, err := net.SplitHostPort(v); err != nil || port == "" {
					return fmt.Errorf("%q is not HOST:PORT, e.g. 127.0.0.1:8090 (127.0.0.1:0 takes any free port)", v)
				}
				s.addr = v
				return nil
			}},
		{name: "fixtures", env: "WORKBINKIT_FIXTURES",
			usage: "fixture directory laid out as fixtures/builtin (users/, workbins/, interactions/, notifications/); default: the built-in set",
			apply: func(s *mockSettings, v string) error { s.fixtures = v; return nil }},
		{name: "options", env: "WORKBINKIT_OPTIONS",
			usage: "options file, YAML or JSON (.json), with the members of GET /_mock/options",
			apply: func(s *mockSettings, v string) error { s.optionsFile = v; return nil }},
		{name: "state-file", env: "WORKBINKIT_STATE_FILE",
			usage: "keep the state in this file: loaded at start if present (else the fixtures), saved after changes and at shutdown",
			apply: func(s *mockSettings, v string) error { s.stateFile = v; return nil }},
		{name: "admin-token", env: "WORKBINKIT_ADMIN_TOKEN",
			usage: "require Authorization: Bearer TOKEN on /_mock/ (mandatory on a non-loopback address)",
			apply: func(s *mockSettings, v string) error { s.adminToken = v; return nil }},
		{name: "deviate", env: "WORKBINKIT_DEVIATE",
			usage: "comma-separated deviation switches: break the contract on purpose (conformance self-tests only; see GET /_mock/deviations)",
			apply: func(s *mockSettings, v string) error {
				d, err := mockserver.ParseDeviations(v)
				s.deviations = d
				return err
			}},
		{name: "log-level", env: "WORKBINKIT_LOG_LEVEL", def: "info",
			usage: "debug, info, warn or error",
			apply: func(s *mockSettings, v string) error {
				switch v {
				case "debug", "info", "warn", "error":
					s.logLevel = v
					return nil
				}
				return fmt.Errorf("%q: want debug, info, warn or error", v)
			}},
		{name: "enable-csrf-protection", env: "WORKBINKIT_ENABLE_CSRF_PROTECTION", boolean: true, def: strconv.FormatBool(def.EnableCsrfProtection),
			usage: "POST/PUT/DELETE need the session's X-CSRF-TOKEN (option enableCsrfProtection)",
			apply: boolOpt(func(o *mockserver.Options) *bool { return &o.EnableCsrfProtection })},
		{name: "enable-notification-on-pull-chat", env: "WORKBINKIT_ENABLE_NOTIFICATION_ON_PULL_CHAT", boolean: true, def: strconv.FormatBool(def.EnableNotificationOnPullChat),
			usage: "false: PullChat (and PullInteraction of a chat) answers 403 / statusCode 3 and changes nothing (option enableNotificationOnPullChat)",
			apply: boolOpt(func(o *mockserver.Options) *bool { return &o.EnableNotificationOnPullChat })},
		{name: "enable-join-on-pull-chat", env: "WORKBINKIT_ENABLE_JOIN_ON_PULL_CHAT", boolean: true, def: strconv.FormatBool(def.EnableJoinOnPullChat),
			usage: "false: PullChat succeeds without joining: the chat leaves the workbin and is announced in state JoinFailed, the agent not a participant (an inference; option enableJoinOnPullChat)",
			apply: boolOpt(func(o *mockserver.Options) *bool { return &o.EnableJoinOnPullChat })},
		{name: "cometd-timeout", env: "WORKBINKIT_COMETD_TIMEOUT", def: def.CometD.Timeout.String(),
			usage: "how long a CometD /meta/connect is held (option cometd.timeout)",
			apply: durOpt(func(o *mockserver.Options) *mockserver.Millis { return &o.CometD.Timeout })},
		{name: "cometd-interval", env: "WORKBINKIT_COMETD_INTERVAL", def: def.CometD.Interval.String(),
			usage: "pause advised between CometD connects (option cometd.interval)",
			apply: durOpt(func(o *mockserver.Options) *mockserver.Millis { return &o.CometD.Interval })},
		{name: "cometd-max-interval", env: "WORKBINKIT_COMETD_MAX_INTERVAL", def: def.CometD.MaxInterval.String(),
			usage: "a CometD session without a connect for interval+maxInterval expires (option cometd.maxInterval)",
			apply: durOpt(func(o *mockserver.Options) *mockserver.Millis { return &o.CometD.MaxInterval })},
		{name: "cors-origins", env: "WORKBINKIT_CORS_ORIGINS", def: strings.Join(def.CORSAllowedOrigins, ","),
			usage: "comma-separated browser origins allowed with credentials: http://host:port, http://host:* or * (option corsAllowedOrigins)",
			apply: func(s *mockSettings, v string) error {
				s.opts.CORSAllowedOrigins = nil
				for _, o := range strings.Split(v, ",") {
					if o = strings.TrimSpace(o); o != "" {
						s.opts.CORSAllowedOrigins = append(s.opts.CORSAllowedOrigins, o)
					}
				}
				return nil
			}},
		{name: "allowed-host", env: "WORKBINKIT_ALLOWED_HOSTS", list: true,
			usage: "a Host, besides the loopback names, under which /_mock/ answers (a guard against DNS rebinding): name, name:port, *.domain or *; repeatable or comma-separated (option allowedHosts)",
			apply: func(s *mockSettings, v string) error {
				s.opts.AllowedHosts = nil
				for _, h := range strings.Split(v, ",") {
					if h = strings.TrimSpace(h); h != "" {
						s.opts.AllowedHosts = append(s.opts.AllowedHosts, h)
					}
				}
				return nil
			}},
		{name: "strict", env: "WORKBINKIT_STRICT", boolean: true, def: "false",
			usage: "report unknown request body members as violations (GWS ignores them; option strict)",
			apply: boolOpt(func(o *mockserver.Options) *bool { return &o.Strict })},
	}
}

// parseMockSettings reads flags, environment and the options file.
func parseMockSettings(args []string, env *environ) (*mockSettings, error) {
	table := mockSettingsTable()
	fl := newFlags("mock")
	for _, st := range table {
		st.value = settingValue{raw: st.def, boolean: st.boolean, list: st.list}
		fl.Var(&st.value, st.name, st.usage)
	}
	if err := fl.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, &helpRequest{flags: mockFlagsHelp}
		}
		return nil, flagError(fl, err)
	}
	if fl.NArg() > 0 {
		return nil, fmt.Errorf("%w: mock takes no arguments, got %q", errUsage, fl.Args())
	}
	s := &mockSettings{addr: "127.0.0.1:8090", logLevel: "info", opts: mockserver.DefaultOptions(), sources: map[string]string{}}
	// The value each setting takes: flag, else environment, else nothing (file or default).
	chosen := map[string]string{}
	for _, st := range table {
		switch {
		case st.value.set:
			chosen[st.name], s.sources[st.name] = st.value.raw, "--"+st.name
		case env.getenv(st.env) != "":
			chosen[st.name], s.sources[st.name] = env.getenv(st.env), st.env
		}
	}
	if f, ok := chosen["options"]; ok {
		o, err := s.opts.LoadOptionsFile(f)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s.given("options", f), err)
		}
		s.opts, s.optionsFile = o, f
	}
	for _, st := range table {
		v, ok := chosen[st.name]
		if !ok || st.name == "options" {
			continue
		}
		if err := st.apply(s, v); err != nil {
			return nil, fmt.Errorf("%w: %s: %v", errUsage, s.origin(st.name), err)
		}
		// The defaults and the options file are valid, so a fault found now is this setting's.
		if err := s.opts.Validate(); err != nil {
			return nil, fmt.Errorf("%w: %s: %v", errUsage, s.origin(st.name), err)
		}
	}
	return s, nil
}

const mockAbout = `Runs the stateful GWS Workbins mock: the REST API under /api/v2, CometD at /api/v2/notifications,
and the control plane under /_mock/ (described by GET /_mock/openapi.yaml). SIGINT or SIGTERM stops
it gracefully (held CometD connects are answered, the state file is saved).

Every flag has an environment variable; a flag wins over the environment, which wins over the
options file, which wins over the default.
`

// mockFlagsHelp prints the flags of `workbinkit mock` with their environment variables.
func mockFlagsHelp(w io.Writer) {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	for _, st := range mockSettingsTable() {
		arg := " VALUE"
		if st.boolean {
			arg = "[=BOOL]"
		}
		def := ""
		if st.def != "" {
			def = " (default " + st.def + ")"
		}
		fmt.Fprintf(tw, "  --%s%s\t%s\t%s%s\n", st.name, arg, st.env, st.usage, def)
	}
	tw.Flush()
}

func runMock(ctx context.Context, args []string, env *environ) error {
	st, err := parseMockSettings(args, env)
	if err != nil {
		return err
	}
	if err := mockserver.CheckExposure(st.addr, st.adminToken); err != nil {
		return fmt.Errorf("%w: %s: %w (or listen on a loopback address such as 127.0.0.1:8090)", errUsage, st.given("addr", st.addr), err)
	}
	if st.stateFile != "" {
		// A missing directory would only show at the first save, after the start looked fine.
		if _, err := os.Stat(filepath.Dir(st.stateFile)); err != nil {
			return fmt.Errorf("%s: the directory to keep it in: %w", st.given("state-file", st.stateFile), err)
		}
	}
	var level slog.Level
	_ = level.UnmarshalText([]byte(st.logLevel))
	log := slog.New(slog.NewTextHandler(env.stderr, &slog.HandlerOptions{Level: level}))

	contract, err := spec.Load() // compiled once, for the fixtures and the server
	if err != nil {
		return err
	}
	var set *fixtures.Set
	if st.fixtures != "" {
		if err := checkDir(st.given("fixtures", st.fixtures), st.fixtures); err != nil {
			return err
		}
		if set, err = fixtures.LoadWith(contract, os.DirFS(st.fixtures)); err != nil {
			return fmt.Errorf("%s: %w", st.given("fixtures", st.fixtures), err)
		}
	}
	var saver *mockserver.StateSaver
	cfg := mockserver.Config{
		Contract: contract, Fixtures: set, Options: &st.opts, Deviations: st.deviations, AdminToken: st.adminToken, Logger: log,
	}
	if st.stateFile != "" {
		saver = mockserver.NewStateSaver(st.stateFile, 0, log)
		cfg.OnChange = saver.Changed
	}
	srv, err := mockserver.New(cfg)
	if err != nil {
		return err
	}
	stateNote := ""
	if saver != nil {
		// A kill during a save leaves its temporary file; nothing else would remove it.
		removed, err := mockserver.RemoveStaleStateTemps(st.stateFile)
		for _, name := range removed {
			log.Info("mock: removed a temporary file a save interrupted earlier left", "file", name)
		}
		if err != nil {
			log.Warn("mock: stale temporary state files", "err", err)
		}
		saver.Attach(srv)
		loaded, err := srv.LoadStateFile(st.stateFile)
		if err != nil {
			return fmt.Errorf("%s: %w", st.given("state-file", st.stateFile), err)
		}
		stateNote = "state file " + st.stateFile + ": none yet, starting from the fixtures"
		if loaded {
			stateNote = "state file " + st.stateFile + ": loaded"
		}
	}

	ln, err := net.Listen("tcp", st.addr)
	if err != nil {
		return listenError(st, err)
	}
	// Every request's context ends when the stop begins (stopRequests), so that a request
	// held by a fault delay, or anything else waiting on its context, is answered at once
	// instead of holding the stop for the whole grace period.
	baseCtx, stopRequests := context.WithCancel(context.Background())
	defer stopRequests()
	// No WriteTimeout: a held CometD connect writes only after up to cometd.timeout. No
	// ReadTimeout either, for the same connects: the mock puts each request body under its
	// own deadline (mockserver.Config.BodyReadTimeout, 10 s) and lifts it once the body is in.
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute,
		ErrorLog:    slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		BaseContext: func(net.Listener) context.Context { return baseCtx }}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()

	printBanner(env.stdout, srv, st, ln.Addr(), stateNote)
	log.Info("mock: listening", "addr", ln.Addr().String())

	select {
	case <-ctx.Done():
	case err := <-served:
		return fmt.Errorf("mock: serving: %w", err)
	}
	log.Info("mock: stopping")
	stopCtx, cancel := context.WithTimeout(context.Background(), mockShutdownGrace)
	defer cancel()
	var errs []error
	if err := srv.Shutdown(stopCtx); err != nil { // release held connects first
		errs = append(errs, err)
	}
	// Then end the requests' contexts: after the held connects are answered, since a connect
	// whose context ends first takes its client for gone and answers nothing.
	stopRequests()
	if err := hs.Shutdown(stopCtx); err != nil {
		errs = append(errs, err)
		_ = hs.Close()
	}
	if saver != nil {
		if err := saver.Flush(); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		log.Warn("mock: stopped with errors", "err", errors.Join(errs...))
	} else {
		log.Info("mock: stopped")
	}
	return nil
}

// listenError says which setting to change when the listen address cannot be used.
func listenError(st *mockSettings, err error) error {
	hint := "choose another address with --addr or WORKBINKIT_ADDR (127.0.0.1:0 takes any free port)"
	if errors.Is(err, syscall.EADDRINUSE) {
		return fmt.Errorf("%s: the address is in use (another process listens there): stop it, or %s: %w", st.given("addr", st.addr), hint, err)
	}
	return fmt.Errorf("%s: cannot listen there: %s: %w", st.given("addr", st.addr), hint, err)
}

// printBanner tells a developer where everything is and how to start.
func printBanner(w io.Writer, srv *mockserver.Server, st *mockSettings, addr net.Addr, stateNote string) {
	host := addr.String()
	if tcp, ok := addr.(*net.TCPAddr); ok && tcp.IP.IsUnspecified() {
		host = net.JoinHostPort("localhost", strconv.Itoa(tcp.Port))
	}
	base := "http://" + host
	fmt.Fprintf(w, "workbinkit mock %s\n\n", version.String())
	fmt.Fprintf(w, "  REST API     %s%s\n", base, spec.BasePath)
	fmt.Fprintf(w, "  CometD       %s%s\n", base, spec.CometDPath)
	fmt.Fprintf(w, "  control      %s/_mock/  (contract: %s/_mock/openapi.yaml)\n", base, base)
	fmt.Fprintf(w, "  dashboard    %s%s\n", base, mockserver.DashboardPath)
	fmt.Fprintf(w, "\nusers (password = user name):\n")
	set := srv.Fixtures()
	for _, u := range set.Users {
		notes := strings.Join(u.Roles, ",")
		if !u.HasFeature(spec.FeatureMultimedia) {
			notes += ", no " + spec.FeatureMultimedia
		}
		fmt.Fprintf(w, "  %-12s %-12s %s\n", u.Name, u.Password, notes)
	}
	const wb, item = "3434543fafwe987", "02F0ASAK8EAFA00W"
	if x, ok := set.Interaction(item); ok && x.Workbin == wb {
		fmt.Fprintf(w, "\npull the seed workitem (the cookie jar keeps the session; the token is read from GET /me):\n")
		fmt.Fprintf(w, "  TOKEN=$(curl -s -c /tmp/wbk.jar -u MaratTest:MaratTest -D - -o /dev/null %s%s/me | tr -d '\\r' | sed -n 's/^[Xx]-[Cc][Ss][Rr][Ff]-[Tt][Oo][Kk][Ee][Nn]: //p')\n", base, spec.BasePath)
		fmt.Fprintf(w, "  curl -s -b /tmp/wbk.jar -H \"%s: $TOKEN\" -H 'Content-Type: application/json' -d '{\"operationName\":\"PullWorkitem\",\"id\":\"%s\"}' %s%s/workbins/%s\n",
			spec.HeaderCSRFToken, item, base, spec.BasePath, wb)
	}
	var warnings []string
	if st.adminToken != "" {
		warnings = append(warnings, "the control plane requires Authorization: Bearer <admin token> (the dashboard asks for it, or open it at "+mockserver.DashboardPath+"#token=<admin token>)")
	}
	warnings = append(warnings, srv.Warnings()...)
	if !st.opts.EnableCsrfProtection {
		warnings = append(warnings, "CSRF protection is off (enableCsrfProtection=false)")
	}
	if stateNote != "" {
		fmt.Fprintf(w, "\n%s\n", stateNote)
	}
	for _, x := range warnings {
		fmt.Fprintf(w, "\nWARNING: %s\n", x)
	}
	fmt.Fprintln(w)
}
