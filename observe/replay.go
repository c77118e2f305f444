package observe

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/workbinkit/workbinkit/har"
)

// maxReorder bounds the exchanges held back to put a capture in the order responses ended.
const maxReorder = 100000

// ReadHAR feeds the entries of a HAR to k in the order their responses ended, then
// finishes k at the end of the capture. Browsers list entries by start (a long poll comes
// before the pull its reply announces); an entry is held until no later entry can end
// before it, so memory is the number of exchanges in flight at once (bounded by
// maxReorder). It returns the number of entries read.
func ReadHAR(ctx context.Context, r *har.Reader, k *Checker) (int, error) {
	n, err := Replay(ctx, r, k.Observe)
	if err != nil {
		return n, err
	}
	k.Finish(k.observedEnd())
	return n, nil
}

// Replay calls fn with each entry of a HAR as an Exchange, in the order their responses
// ended (see ReadHAR), and returns the number of entries read.
func Replay(ctx context.Context, r *har.Reader, fn func(*Exchange)) (int, error) {
	var q exHeap
	var watermark int64 // the latest start seen, in unix nanoseconds
	n := 0
	flush := func(all bool) {
		for q.Len() > 0 && (all || q[0].End().UnixNano() <= watermark || q.Len() > maxReorder) {
			fn(heap.Pop(&q).(*Exchange))
		}
	}
	for {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		e, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return n, err
		}
		ex, err := FromHAR(e, int64(n+1))
		if err != nil {
			return n, fmt.Errorf("%w: entry %d: %v", har.ErrNotHAR, n, err)
		}
		n++
		if s := ex.Start.UnixNano(); s > watermark {
			watermark = s
		}
		heap.Push(&q, ex)
		flush(false)
	}
	flush(true)
	return n, nil
}

// exHeap orders exchanges by the end of their response, then by sequence.
type exHeap []*Exchange

func (h exHeap) Len() int { return len(h) }
func (h exHeap) Less(i, j int) bool {
	ei, ej := h[i].End(), h[j].End()
	if ei.Equal(ej) {
		return h[i].Seq < h[j].Seq
	}
	return ei.Before(ej)
}
func (h exHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *exHeap) Push(x any)   { *h = append(*h, x.(*Exchange)) }
func (h *exHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return x
}
