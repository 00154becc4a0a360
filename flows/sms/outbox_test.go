package sms

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
)

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a slog handler.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func msgN(i int) Message {
	return Message{To: fmt.Sprintf("+49151234567%02d", i), Text: fmt.Sprintf("Your code is %06d", 100000+i)}
}

func TestOutboxKeepsNewest(t *testing.T) {
	tests := []struct {
		keep, send int
		want       []int // message numbers, newest first
	}{
		{keep: 3, send: 0, want: nil},
		{keep: 3, send: 1, want: []int{0}},
		{keep: 3, send: 3, want: []int{2, 1, 0}},
		{keep: 3, send: 4, want: []int{3, 2, 1}},
		{keep: 3, send: 10, want: []int{9, 8, 7}},
		{keep: 1, send: 5, want: []int{4}},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("keep%d_send%d", tc.keep, tc.send), func(t *testing.T) {
			o := NewOutbox(tc.keep, nil)
			for i := range tc.send {
				if err := o.Send(context.Background(), msgN(i)); err != nil {
					t.Fatalf("Send: %v", err)
				}
			}
			got := o.Messages()
			if len(got) != len(tc.want) {
				t.Fatalf("Messages() has %d; want %d", len(got), len(tc.want))
			}
			for i, n := range tc.want {
				if got[i] != msgN(n) {
					t.Errorf("Messages()[%d] = %+v; want %+v", i, got[i], msgN(n))
				}
			}
			es := o.Entries()
			for i := 1; i < len(es); i++ {
				if es[i].At.After(es[i-1].At) {
					t.Errorf("entries not newest first")
				}
			}
		})
	}
}

func TestOutboxLastAndCopies(t *testing.T) {
	o := NewOutbox(5, nil)
	a, b := "+4915123456789", "+12015550123"
	for _, m := range []Message{{a, "first"}, {b, "other"}, {a, "second"}} {
		if err := o.Send(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
	if m, ok := o.Last(a); !ok || m.Text != "second" {
		t.Errorf("Last(a) = %+v, %v; want second", m, ok)
	}
	if m, ok := o.Last(b); !ok || m.Text != "other" {
		t.Errorf("Last(b) = %+v, %v; want other", m, ok)
	}
	if _, ok := o.Last("+33612345678"); ok {
		t.Error("Last found a message to a number never sent to")
	}
	// Old messages pushed out are gone for Last too.
	for i := range 5 {
		_ = o.Send(context.Background(), msgN(i))
	}
	if _, ok := o.Last(a); ok {
		t.Error("Last found a message that was pushed out")
	}
	// Results are copies.
	ms := o.Messages()
	ms[0].Text = "changed"
	es := o.Entries()
	es[0].Text = "changed"
	if o.Messages()[0].Text == "changed" {
		t.Error("Messages() or Entries() exposed internal storage")
	}
}

func TestOutboxRefuses(t *testing.T) {
	o := NewOutbox(0, nil)
	if err := o.Send(context.Background(), Message{To: "0151 23456789", Text: "x"}); !errors.Is(err, ErrInvalidMessage) {
		t.Errorf("invalid number: error %v; want ErrInvalidMessage", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := o.Send(ctx, testMsg); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: error %v", err)
	}
	if len(o.Messages()) != 0 {
		t.Error("a refused message was kept")
	}
	if o.keep != DefaultOutboxSize {
		t.Errorf("keep %d; want default %d", o.keep, DefaultOutboxSize)
	}
}

func TestOutboxLog(t *testing.T) {
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			var buf syncBuffer
			var h slog.Handler = slog.NewTextHandler(&buf, nil)
			if format == "json" {
				h = slog.NewJSONHandler(&buf, nil)
			}
			o := NewOutbox(10, slog.New(h))
			if err := o.Send(context.Background(), testMsg); err != nil {
				t.Fatal(err)
			}
			line := buf.String()
			if strings.Count(line, "\n") != 1 {
				t.Errorf("want one log line, got %q", line)
			}
			if !strings.Contains(line, "sms to +49 ••• ••• 89") {
				t.Errorf("log %q lacks \"sms to <masked>\"", line)
			}
			for _, leak := range []string{"493817", "code", testMsg.To, "15123456789"} {
				if strings.Contains(line, leak) {
					t.Errorf("log %q contains %q", line, leak)
				}
			}
		})
	}
}

func TestOutboxConcurrent(t *testing.T) {
	var buf syncBuffer
	o := NewOutbox(50, slog.New(slog.NewTextHandler(&buf, nil)))
	const workers, each = 8, 40
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				if err := o.Send(context.Background(), msgN((w*each+i)%100)); err != nil {
					t.Errorf("Send: %v", err)
				}
				_ = o.Messages()
				_, _ = o.Last(msgN(i).To)
			}
		})
	}
	wg.Wait()
	if n := len(o.Messages()); n != 50 {
		t.Errorf("kept %d; want 50", n)
	}
	if n := strings.Count(buf.String(), "\n"); n != workers*each {
		t.Errorf("%d log lines; want %d", n, workers*each)
	}
	var _ Sender = o
}
