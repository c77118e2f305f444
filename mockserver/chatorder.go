package mockserver

import "sync"

// chatOrder keeps a chat's notifications in transcript order (D20.message-log: indexes
// increase). The store numbers a chat's messages under its lock, but each request publishes
// its events after that lock is released, from its own goroutine: an agent's SendMessage
// and a customer's message at the same moment could deliver index n+1 before n. A request
// that may add to a chat's transcript (an operation on the chat, the control plane's
// customer) holds the chat's lock from before the store call until its events are
// published, so the chat's changes are applied and published one request at a time.
// Other chats, and other media, are not held up.
type chatOrder struct {
	mu    sync.Mutex
	chats map[string]*chatLock
}

// chatLock is one chat's lock and the number of requests holding or waiting for it (the
// entry is dropped when none does, so the map does not grow with the chats ever seen).
type chatLock struct {
	sync.Mutex
	users int
}

// lock waits for the chat's turn and returns the function that ends it; it must be called
// exactly once.
func (o *chatOrder) lock(chatID string) (unlock func()) {
	o.mu.Lock()
	if o.chats == nil {
		o.chats = map[string]*chatLock{}
	}
	l := o.chats[chatID]
	if l == nil {
		l = &chatLock{}
		o.chats[chatID] = l
	}
	l.users++
	o.mu.Unlock()

	l.Lock()
	var once sync.Once
	return func() {
		once.Do(func() {
			l.Unlock()
			o.mu.Lock()
			if l.users--; l.users == 0 {
				delete(o.chats, chatID)
			}
			o.mu.Unlock()
		})
	}
}
