package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
	"time"

	"github.com/workbinkit/workbinkit/bayeux"
)

// The two servers under test run as child processes with the same control protocol (see
// bayeux/testdata/faye-bench.mjs): Bayeux at /bayeux, POST /publish, GET /stats, GET /heap.
// A child process of its own keeps the Go server's heap and CPU apart from the load
// generator's, as faye's are.

// benchMount is where both servers answer Bayeux.
const benchMount = "/bayeux"

// publishEvent is one element of a POST /publish body.
type publishEvent struct {
	Channel string          `json:"channel"`
	Data    json.RawMessage `json:"data"`
}

// serverStats is the GET /stats reply.
type serverStats struct {
	Sessions  int   `json:"sessions"`
	Held      int   `json:"held"`
	CPUMicros int64 `json:"cpuMicros"`
}

// heapStats is the GET /heap reply, measured after a full garbage collection.
type heapStats struct {
	Heap int64 `json:"heap"`
	RSS  int64 `json:"rss"`
}

// newBenchServer mounts a bayeux.Server with hold as its connect timeout, and the control
// endpoints. Publishing goes through Server.Publish, as an application's would. With
// memprofile set, every GET /heap also writes a heap profile there.
func newBenchServer(hold time.Duration, memprofile string) (*bayeux.Server, http.Handler) {
	srv := bayeux.NewServer(bayeux.Options{Timeout: hold, MaxInterval: 30 * time.Second})
	mux := http.NewServeMux()
	mux.Handle(benchMount, srv)
	mux.Handle(benchMount+"/", srv)
	mux.HandleFunc("POST /publish", func(w http.ResponseWriter, r *http.Request) {
		var evs []publishEvent
		if err := json.NewDecoder(r.Body).Decode(&evs); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		for _, ev := range evs {
			if _, err := srv.Publish(ev.Channel, ev.Data); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
		}
		writeJSON(w, map[string]int{"published": len(evs)})
	})
	mux.HandleFunc("GET /stats", func(w http.ResponseWriter, r *http.Request) {
		st := serverStats{CPUMicros: processCPUMicros()}
		for _, si := range srv.Sessions() {
			st.Sessions++
			if si.ConnectHeld {
				st.Held++
			}
		}
		writeJSON(w, st)
	})
	mux.HandleFunc("GET /heap", func(w http.ResponseWriter, r *http.Request) {
		runtime.GC()
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		if memprofile != "" {
			if f, err := os.Create(memprofile); err == nil {
				_ = pprof.WriteHeapProfile(f)
				f.Close()
			}
		}
		writeJSON(w, heapStats{Heap: int64(ms.HeapAlloc), RSS: processRSS()})
	})
	return srv, mux
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// serve runs the Go server child: it prints {"port":N} and serves until stdin closes. With
// cpuprofile set, it writes a CPU profile of its whole run there; with memprofile, a heap
// profile at each GET /heap (the last one is taken with every session idle).
func serve(hold time.Duration, cpuprofile, memprofile string) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	if cpuprofile != "" {
		f, err := os.Create(cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	srv, h := newBenchServer(hold, memprofile)
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	fmt.Printf("{\"port\":%d}\n", ln.Addr().(*net.TCPAddr).Port)
	stdin := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		close(stdin)
	}()
	select {
	case err := <-errc:
		return err
	case <-stdin:
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(ctx)
	return hs.Shutdown(ctx)
}

// child is a server process under test.
type child struct {
	name   string
	base   string // http://127.0.0.1:port
	cmd    *exec.Cmd
	stdin  io.Closer
	cancel context.CancelFunc
	exited chan error
	stderr *lockedBuffer
}

// startChild starts a server process that prints {"port":N} on its first stdout line and
// exits when its stdin closes.
func startChild(name string, argv ...string) (*child, error) {
	ctx, cancel := context.WithCancel(context.Background()) // ended by stop
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.WaitDelay = 2 * time.Second
	stdin, err := cmd.StdinPipe()
	if err != nil {
		cancel()
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		cancel()
		return nil, err
	}
	c := &child{name: name, cmd: cmd, stdin: stdin, cancel: cancel, exited: make(chan error, 1), stderr: &lockedBuffer{}}
	cmd.Stderr = c.stderr
	if err := cmd.Start(); err != nil {
		cancel()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		if sc.Scan() {
			lines <- sc.Text()
		}
		_, _ = io.Copy(io.Discard, stdout) // keep the pipe drained until the child exits
		close(lines)
	}()
	go func() { c.exited <- cmd.Wait() }()
	select {
	case line, ok := <-lines:
		var hello struct{ Port int }
		if !ok || json.Unmarshal([]byte(line), &hello) != nil || hello.Port == 0 {
			c.stop()
			return nil, fmt.Errorf("%s said %q instead of its port\n%s", name, line, c.stderr.String())
		}
		c.base = fmt.Sprintf("http://127.0.0.1:%d", hello.Port)
		return c, nil
	case <-time.After(15 * time.Second):
		c.stop()
		return nil, fmt.Errorf("%s did not report its port within 15 s\n%s", name, c.stderr.String())
	}
}

// stop closes the child's stdin (it exits by itself) and kills it if it lingers.
func (c *child) stop() error {
	c.stdin.Close()
	var err error
	select {
	case err = <-c.exited:
	case <-time.After(5 * time.Second):
		c.cancel()
		err = <-c.exited
	}
	c.cancel()
	if err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("%s: %w\n%s", c.name, err, c.stderr.String())
	}
	return nil
}

type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.b.Len() < 64<<10 { // keep the start: that is where a crash says why
		b.b.Write(p)
	}
	return len(p), nil
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
