package spec

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"
	"time"
)

// Speed targets are checked here, never by timed assertions in tests:
//
//	go test ./spec -run '^$' -bench . -benchmem
//
// cpu-ns/op is the process CPU time per operation (garbage collection included): on a
// shared machine it varies far less than ns/op.

// cpuMeter reports cpu-ns/op for the loop it brackets: m := startCPU(); for b.Loop() {…};
// m.report(b).
type cpuMeter struct{ start time.Duration }

func startCPU() cpuMeter { return cpuMeter{processCPU()} }

func (m cpuMeter) report(b *testing.B) {
	b.ReportMetric(float64((processCPU()-m.start).Nanoseconds())/float64(b.N), "cpu-ns/op")
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func BenchmarkValidateRequest(b *testing.B) {
	c := loadT(b)
	body := []byte(`{"operationName":"PullWorkitem","id":"02F0ASAK8EAFA00W"}`)
	r := httptest.NewRequest("POST", "/api/v2/workbins/3434543fafwe987", nil)
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set(HeaderCSRFToken, "5d6f0c0e-8c4c-4d7a-9b4e-2f7c1f2b7e11")
	ctx := context.Background()
	b.ReportAllocs()
	cpu := startCPU()
	for b.Loop() {
		r.Body = io.NopCloser(bytes.NewReader(body))
		if _, err := c.ValidateRequest(ctx, r); err != nil {
			b.Fatal(err)
		}
	}
	cpu.report(b)
}

func BenchmarkValidateResponse(b *testing.B) {
	c := loadT(b)
	r := httptest.NewRequest("POST", "/api/v2/workbins/3434543fafwe987", nil)
	h := http.Header{"Content-Type": {"application/json"}}
	body := []byte(`{"statusCode":0,"referenceId":17}`)
	ctx := context.Background()
	b.ReportAllocs()
	cpu := startCPU()
	for b.Loop() {
		if err := c.ValidateResponse(ctx, r, 200, h, body); err != nil {
			b.Fatal(err)
		}
	}
	cpu.report(b)
}

// BenchmarkValidateResponseContent is a reply whose schema has known values to check (the
// workbin and its workitems), validated as the mock does (Strict): the body is decoded a
// second time for the warning pass.
func BenchmarkValidateResponseContent(b *testing.B) {
	c := loadT(b)
	r := httptest.NewRequest("GET", "/api/v2/workbins/3434543fafwe987?subresources=workitem", nil)
	h := http.Header{"Content-Type": {"application/json"}}
	body := []byte(`{"statusCode":0,"workbin":{"id":"3434543fafwe987","name":"Agent","type":"Agent","workitems":[` +
		`{"id":"02F0ASAK8EAFA00W","state":"InWorkbin","capabilities":[],"workitemType":"Inbound","userData":{"Subject":"s","IsHeld":0}},` +
		`{"id":"02F0ASAK8EAFA00X","state":"InWorkbin","capabilities":[],"workitemType":"Inbound","userData":{"Subject":"t","IsHeld":0}}]}}`)
	ctx := context.Background()
	b.ReportAllocs()
	cpu := startCPU()
	for b.Loop() {
		if err := c.ValidateResponse(ctx, r, 200, h, body, Strict()); err != nil {
			b.Fatal(err)
		}
	}
	cpu.report(b)
}

func BenchmarkValidateNotification(b *testing.B) {
	c := loadT(b)
	data := []byte(pulledWorkitem)
	b.ReportAllocs()
	cpu := startCPU()
	for b.Loop() {
		if err := c.ValidateNotification(ChannelWorkitems, data); err != nil {
			b.Fatal(err)
		}
	}
	cpu.report(b)
}

func BenchmarkValidateMessage(b *testing.B) {
	c := loadT(b)
	msg := []byte(`{"channel":"/v2/me/workitems","data":` + pulledWorkitem + `}`)
	b.ReportAllocs()
	cpu := startCPU()
	for b.Loop() {
		if err := c.ValidateMessage(msg); err != nil {
			b.Fatal(err)
		}
	}
	cpu.report(b)
}

func BenchmarkLoad(b *testing.B) {
	for b.Loop() {
		if _, err := Load(); err != nil {
			b.Fatal(err)
		}
	}
}
