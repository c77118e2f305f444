package main

import (
	"fmt"
	"io"
	"slices"
	"text/tabwriter"
	"time"
)

// writeReport prints the table, the ratios of the first server to the second (bayeux/faye
// when both ran), and whatever went wrong along the way.
func writeReport(out io.Writer, cfg config, results []serverResult) error {
	fmt.Fprintf(out, "bench-bayeux: %d long-polling sessions on 127.0.0.1, one channel each; %d CPUs; %s load generator; "+
		"steady rates: warm-up %v, measured %v; max: the highest ramp step (%v each) with all offered and delivered, p99 ≤ %v\n",
		cfg.sessions, cpus(), cfg.loadgen, cfg.warmup, cfg.duration, cfg.rampFor, fmtDur(cfg.maxP99))
	var modes []string // in order of first appearance
	for _, r := range results {
		for _, p := range r.phases {
			if !slices.Contains(modes, p.mode) {
				modes = append(modes, p.mode)
			}
		}
	}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "mode\tserver\toffered/s\tdelivered/s\tp50\tp99\tserver CPU\tCPU/event\tgen CPU\tother CPU\theap/idle-session")
	for _, mode := range modes {
		for _, r := range results {
			if p, ok := r.phase(mode); ok {
				fmt.Fprintf(tw, "%s\t%s\t%.0f\t%.0f\t%s\t%s\t%.0f%%\t%s\t%.0f%%\t%.0f%%\t%s\n", p.mode, r.name, p.offered, p.delivered,
					fmtDur(p.p50), fmtDur(p.p99), 100*p.srvCPU, fmtMicros(p.cpuPerEvent()), 100*p.genCPU, 100*p.otherCPU, fmtBytes(r.heapPerIdle))
			}
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(results) == 2 {
		a, b := results[0], results[1]
		fmt.Fprintf(out, "ratio (%s/%s):", a.name, b.name)
		for _, mode := range modes {
			pa, oka := a.phase(mode)
			pb, okb := b.phase(mode)
			if oka && okb {
				fmt.Fprintf(out, " %s: delivered ×%s, p99 ×%s, CPU/event ×%s;", mode, ratio(pa.delivered, pb.delivered),
					ratio(float64(pa.p99), float64(pb.p99)), ratio(pa.cpuPerEvent(), pb.cpuPerEvent()))
			}
		}
		fmt.Fprintf(out, " heap/idle-session ×%s\n", ratio(a.heapPerIdle, b.heapPerIdle))
		if b.name == serverFaye {
			ma, oka := a.phase("max")
			mb, okb := b.phase("max")
			at, okat := a.phase(atFayeMax)
			if oka && okb && okat {
				verdict := "missed"
				if ma.delivered >= 2*mb.delivered && at.p99 < mb.p99 {
					verdict = "met"
				}
				fmt.Fprintf(out, "target (%s sustains ≥ 2× faye's max delivered/s, and has a lower p99 than faye at faye's max rate): %s "+
					"(×%s; p99 at %d/s: %s vs %s)\n", a.name, verdict, ratio(ma.delivered, mb.delivered), mb.rate, fmtDur(at.p99), fmtDur(mb.p99))
			}
		}
	}
	for _, r := range results {
		if len(r.ramp) > 0 {
			fmt.Fprintf(out, "%s ramp:", r.name)
			for _, st := range r.ramp {
				if st.why == "" {
					fmt.Fprintf(out, " %d ✓ (p99 %s);", st.rate, fmtDur(st.p99))
				} else {
					fmt.Fprintf(out, " %d ✗ (%s);", st.rate, st.why)
				}
			}
			if r.rampCut {
				fmt.Fprintf(out, " stopped: time budget (-ramp-budget %v) spent", cfg.rampBudget)
			}
			fmt.Fprintln(out)
		}
	}
	for _, r := range results {
		fmt.Fprintf(out, "%s: RSS/idle-session %s", r.name, fmtBytes(r.rssPerIdle))
		for _, p := range r.phases {
			fmt.Fprintf(out, "; %s: %.0f polls/s, %.1f events/poll, publish request p50 %s p99 %s", p.mode, p.polls,
				p.delivered/max(p.polls, 1), fmtDur(p.pubP50), fmtDur(p.pubP99))
		}
		if r.errors > 0 || r.rehandshakes > 0 {
			fmt.Fprintf(out, "; %d failed requests, %d re-handshakes", r.errors, r.rehandshakes)
		}
		for _, p := range r.phases {
			if p.lost > 0 || p.skipped > 0 {
				fmt.Fprintf(out, "; %s: %d events lost, %d not offered (publisher behind)", p.mode, p.lost, p.skipped)
			}
		}
		fmt.Fprintln(out)
	}
	return nil
}

// phase returns the result of mode.
func (r serverResult) phase(mode string) (phaseResult, bool) {
	for _, p := range r.phases {
		if p.mode == mode {
			return p, true
		}
	}
	return phaseResult{}, false
}

// cpuPerEvent is the server's CPU time per delivered event, in µs: unlike the rates and
// latencies, it changes little when other work shares the machine.
func (p phaseResult) cpuPerEvent() float64 {
	if p.delivered <= 0 {
		return 0
	}
	return p.srvCPU * 1e6 / p.delivered
}

func fmtMicros(us float64) string {
	if us <= 0 {
		return "–"
	}
	return fmt.Sprintf("%.0fµs", us)
}

func ratio(a, b float64) string {
	if b == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f", a/b)
}

func fmtDur(d time.Duration) string {
	switch {
	case d <= 0:
		return "–"
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%.2fms", float64(d)/1e6)
	case d < time.Second:
		return fmt.Sprintf("%.1fms", float64(d)/1e6)
	}
	return fmt.Sprintf("%.2fs", d.Seconds())
}

func fmtBytes(b float64) string {
	if b < 1024 {
		return fmt.Sprintf("%.0f B", b)
	}
	return fmt.Sprintf("%.1f KiB", b/1024)
}
