package mockserver

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/workbinkit/workbinkit/spec"
)

// TestChatMessagesInOrder: the agent's SendMessage and the customer's messages on one chat,
// sent at the same time, reach the agent's CometD client in transcript order: each
// MessageLogUpdated's indexes are larger than the ones before (D20.message-log).
func TestChatMessagesInOrder(t *testing.T) {
	const each = 50
	m := newMock(t)
	marat := m.login("MaratTest")
	expect(t, marat.post("/api/v2/workbins/"+seedWorkbin, pullBody(spec.PullChat, seedChat)), 200, 0)
	l := marat.cometd(spec.ChannelChats)

	post := func(c *http.Client, url, csrf string, body any) error {
		j, _ := json.Marshal(body)
		req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(j))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		if csrf != "" {
			req.Header.Set(spec.HeaderCSRFToken, csrf)
		}
		res, err := c.Do(req)
		if err != nil {
			return err
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			return fmt.Errorf("POST %s: HTTP %d", url, res.StatusCode)
		}
		return nil
	}
	var wg sync.WaitGroup
	errs := make(chan error, 2*each)
	for i := range each {
		wg.Go(func() {
			errs <- post(marat.http, m.url("/api/v2/me/chats/"+seedChat), marat.csrf, map[string]any{"operationName": "SendMessage", "text": fmt.Sprintf("agent %d", i)})
		})
		wg.Go(func() {
			errs <- post(http.DefaultClient, m.url("/_mock/chats/"+seedChat+"/customer"), "", map[string]any{"action": "message", "text": fmt.Sprintf("customer %d", i)})
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}

	last, seen := int64(0), 0
	for seen < 2*each {
		ev := l.next(t, fmt.Sprintf("message %d of %d", seen+1, 2*each), onChannel(spec.ChannelChats, spec.MessageChatMessageLogUpdated))
		msgs, _ := data(t, ev)[spec.FieldMessages].([]any)
		for _, x := range msgs {
			idx := num(x.(map[string]any)[spec.FieldIndex])
			if idx <= last {
				t.Fatalf("index %d after %d: %s", idx, last, ev.Data)
			}
			last = idx
			seen++
		}
	}
}

// TestChatOrderForgets: a chat's lock is dropped once no request holds or waits for it, and
// ending a turn twice is harmless.
func TestChatOrderForgets(t *testing.T) {
	var o chatOrder
	unlock := o.lock("c1")
	other := o.lock("c2") // another chat is not held up
	unlock()
	unlock()
	other()
	again := o.lock("c1")
	again()
	if len(o.chats) != 0 {
		t.Errorf("%d chats kept after their turns", len(o.chats))
	}
}
