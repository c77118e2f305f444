package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/workbinkit/workbinkit/har"
	"github.com/workbinkit/workbinkit/internal/version"
	"github.com/workbinkit/workbinkit/observe"
	"github.com/workbinkit/workbinkit/proxy"
	"github.com/workbinkit/workbinkit/spec"
)

// proxyDrainGrace is how long a stop lets requests in flight finish before their upstream
// requests are cancelled (held long polls would otherwise hold the stop for their timeout).
const proxyDrainGrace = 2 * time.Second

const proxyAbout = `A validating reverse proxy: point an agent desktop, a browser app or the conformance suite at
it instead of the GWS server. Every request is forwarded unchanged (cookies, CSRF headers and
Basic credentials pass through; browser apps on localhost get CORS answers); the REST API and
the CometD endpoint (long-polling) are judged against the contract as traffic flows, both
directions, and what the traffic alone shows of the suite's rules is checked per HTTP session.
WebSocket, callback-polling and paths outside the contract pass through untouched, counted and
named in the report.

Each violation is printed as one line as it is found. GET /_proxy/report returns the findings
so far (?format=json, report, markdown or junit). SIGINT or SIGTERM stops the proxy: it writes
the Markdown, JUnit and JSON reports (the suite's format) and exits 1 when the traffic broke
the contract (0 with --exit-zero).

--record FILE.har writes every exchange as HAR 1.2 as it happens (long-poll replies included,
with their timings); passwords, session cookies and CSRF tokens are replaced by stable
stand-ins unless --record-secrets. 'workbinkit validate FILE.har' judges it again later.
`

func runProxy(ctx context.Context, args []string, env *environ) error {
	fs := newFlags("proxy")
	of := observeFlags{defaultReports: "reports", reportPrefix: "proxy-"}
	of.register(fs)
	upstream := fs.String("upstream", "", "the GWS server's base `URL` (http://host:port or https://host:port)")
	addr := fs.String("addr", "127.0.0.1:8091", "listen address")
	record := fs.String("record", "", "record the traffic as HAR 1.2 into `FILE`")
	recordSecrets := fs.Bool("record-secrets", false, "record passwords, session cookies and CSRF tokens as they are")
	exitZero := fs.Bool("exit-zero", false, "exit 0 even when the traffic broke the contract")
	caFile := fs.String("upstream-ca", "", "PEM `FILE` of the CA that signed the upstream's certificate (added to the system's)")
	insecure := fs.Bool("upstream-insecure", false, "do not verify the upstream's TLS certificate (a lab server)")
	certFile := fs.String("upstream-cert", "", "client certificate `FILE` (PEM) for the upstream")
	keyFile := fs.String("upstream-key", "", "client key `FILE` (PEM) for the upstream")
	origins := fs.String("cors-origins", "", "comma-separated browser origins to answer CORS for, besides localhost (http://host:port)")
	maxBody := fs.Int64("max-body", proxy.DefaultMaxBody, "largest body judged, in bytes (larger ones pass through unjudged)")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: proxy takes no arguments, got %q", errUsage, fs.Args())
	}
	up, err := url.Parse(*upstream)
	if *upstream == "" || err != nil || (up.Scheme != "http" && up.Scheme != "https") || up.Host == "" {
		return fmt.Errorf("%w: proxy: --upstream must be an http:// or https:// URL, got %q", errUsage, *upstream)
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("%w: proxy: --log-level %q: want debug, info, warn or error", errUsage, *logLevel)
	}
	log := slog.New(slog.NewTextHandler(env.stderr, &slog.HandlerOptions{Level: level}))
	tr, err := upstreamTransport(*caFile, *insecure, *certFile, *keyFile)
	if err != nil {
		return fmt.Errorf("%w: proxy: %v", errUsage, err)
	}
	allow, err := originFilter(*origins)
	if err != nil {
		return fmt.Errorf("%w: proxy: --cors-origins: %v", errUsage, err)
	}
	contract, err := spec.Load()
	if err != nil {
		return err
	}
	k := observe.New(contract, of.options(env.stdout))
	started := time.Now()
	info := func() observe.ReportInfo {
		return observe.ReportInfo{Source: "proxy in front of " + up.Redacted(), Strict: of.strict, RulesURL: of.rulesURL, Finished: time.Now(),
			Reproduce: "workbinkit proxy " + strings.Join(args, " ") + " (then the same traffic)"}
	}
	cfg := proxy.Config{Upstream: up, Transport: tr, Checker: k, MaxBody: *maxBody, AllowOrigin: allow, ReportInfo: info, Logger: log}
	var recFile *os.File
	if *record != "" {
		recFile, err = os.Create(*record)
		if err != nil {
			return fmt.Errorf("%w: proxy: --record: %v", errUsage, err)
		}
		defer recFile.Close()
		if cfg.Record, err = har.NewWriter(recFile, har.Creator{Name: "workbinkit proxy", Version: version.String()}); err != nil {
			return err
		}
		if !*recordSecrets {
			cfg.Pseudonyms = observe.NewPseudonyms()
		}
	}
	p, err := proxy.New(cfg)
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	baseCtx, stopRequests := context.WithCancel(context.Background())
	defer stopRequests()
	hs := &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute,
		ErrorLog:    slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		BaseContext: func(net.Listener) context.Context { return baseCtx }}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()

	base := "http://" + ln.Addr().String()
	fmt.Fprintf(env.stdout, "workbinkit proxy %s\n\n  listening    %s  →  %s\n  REST API     %s%s\n  CometD       %s%s\n  report       %s%s\n",
		version.String(), base, up.Redacted(), base, spec.BasePath, base, spec.CometDPath, base, proxy.ReportPath)
	if *record != "" {
		fmt.Fprintf(env.stdout, "  recording    %s\n", *record)
	}
	if host, _, _ := net.SplitHostPort(ln.Addr().String()); !net.ParseIP(host).IsLoopback() {
		fmt.Fprintf(env.stdout, "\nWARNING: listening on %s: anyone who reaches it reaches the upstream with the credentials they send\n", host)
	}
	fmt.Fprintln(env.stdout)

	select {
	case <-ctx.Done():
	case err := <-served:
		return fmt.Errorf("proxy: serving: %w", err)
	}
	log.Info("proxy: stopping")
	// New requests are refused; requests in flight get a moment, then their upstream
	// requests are cancelled (held long polls end at once) and the last exchanges judged.
	stopCtx, cancel := context.WithTimeout(context.Background(), proxyDrainGrace)
	_ = hs.Shutdown(stopCtx)
	cancel()
	stopRequests()
	_ = hs.Close()
	closeCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := p.Close(closeCtx); err != nil {
		log.Warn("proxy: stopping", "err", err)
	}
	k.Finish(time.Now())
	if cfg.Record != nil {
		if err := cfg.Record.Close(); err != nil {
			log.Error("proxy: closing the recording", "err", err)
		}
		fmt.Fprintf(env.stdout, "recorded %d exchanges in %s\n", cfg.Record.Count(), *record)
	}
	log.Info("proxy: stopped", "after", time.Since(started).Round(time.Millisecond))
	err = of.finish(k.Result(), info(), env.stdout)
	if errors.Is(err, errViolations) && *exitZero {
		return nil
	}
	return err
}

// upstreamTransport is the proxy's transport to the upstream with the TLS options.
func upstreamTransport(caFile string, insecure bool, certFile, keyFile string) (*http.Transport, error) {
	tr := proxy.DefaultTransport()
	cfg := &tls.Config{InsecureSkipVerify: insecure} //nolint:gosec // a documented lab option
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("--upstream-ca: %w", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--upstream-ca %s: no PEM certificate in it", caFile)
		}
		cfg.RootCAs = pool
	}
	if (certFile == "") != (keyFile == "") {
		return nil, errors.New("--upstream-cert and --upstream-key go together")
	}
	if certFile != "" {
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, fmt.Errorf("--upstream-cert/--upstream-key: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	tr.TLSClientConfig = cfg
	return tr, nil
}

// originFilter admits localhost origins and the ones listed.
func originFilter(list string) (func(string) bool, error) {
	var extra []string
	for _, o := range strings.Split(list, ",") {
		if o = strings.TrimSpace(o); o == "" {
			continue
		}
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
			return nil, fmt.Errorf("%q: want an origin such as http://host:port", o)
		}
		extra = append(extra, strings.TrimSuffix(o, "/"))
	}
	return func(origin string) bool {
		if proxy.LocalOrigin(origin) {
			return true
		}
		for _, e := range extra {
			if strings.EqualFold(e, origin) {
				return true
			}
		}
		return false
	}, nil
}
