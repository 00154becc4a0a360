package email

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

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

func TestOutboxKeepsNewest(t *testing.T) {
	tests := []struct {
		keep, sends int
		want        []string // subjects, newest first
	}{
		{keep: 3, sends: 0, want: []string{}},
		{keep: 3, sends: 2, want: []string{"s1", "s0"}},
		{keep: 3, sends: 3, want: []string{"s2", "s1", "s0"}},
		{keep: 3, sends: 5, want: []string{"s4", "s3", "s2"}},
		{keep: 1, sends: 4, want: []string{"s3"}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("keep %d, sends %d", tt.keep, tt.sends), func(t *testing.T) {
			o := NewOutbox(tt.keep, discardLogger())
			for i := range tt.sends {
				if err := o.Send(context.Background(), Message{To: "alice@example.com", Subject: fmt.Sprintf("s%d", i), Text: "t"}); err != nil {
					t.Fatal(err)
				}
			}
			got := []string{}
			for _, m := range o.Messages() {
				got = append(got, m.Subject)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("Messages() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestOutboxDefaultSize(t *testing.T) {
	o := NewOutbox(0, nil)
	if o.keep != DefaultOutboxSize {
		t.Errorf("keep = %d, want %d", o.keep, DefaultOutboxSize)
	}
}

func TestOutboxMessagesAreCopies(t *testing.T) {
	o := NewOutbox(5, discardLogger())
	orig := Message{To: "alice@example.com", Subject: "s", Text: "t", HTML: "<p>h</p>"}
	if err := o.Send(context.Background(), orig); err != nil {
		t.Fatal(err)
	}
	got := o.Messages()
	got[0].Subject = "changed"
	got = append(got[:0], Message{Subject: "injected"})
	_ = got
	if again := o.Messages(); len(again) != 1 || again[0] != orig {
		t.Errorf("Messages() after mutating a previous result = %+v, want [%+v]", again, orig)
	}
	last, _ := o.Last("alice@example.com")
	last.Text = "changed"
	if again, _ := o.Last("alice@example.com"); again != orig {
		t.Errorf("Last after mutating a previous result = %+v", again)
	}
}

func TestOutboxLast(t *testing.T) {
	o := NewOutbox(10, discardLogger())
	for _, m := range []Message{
		{To: "alice@example.com", Subject: "a1", Text: "t"},
		{To: "Bob <bob@example.com>", Subject: "b1", Text: "t"},
		{To: "Alice <Alice@Example.com>", Subject: "a2", Text: "t"},
		{To: "bob@example.com", Subject: "b2", Text: "t"},
	} {
		if err := o.Send(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		to   string
		want string
		ok   bool
	}{
		{"alice@example.com", "a2", true},
		{"ALICE@EXAMPLE.COM", "a2", true},
		{"Someone <alice@example.com>", "a2", true},
		{"bob@example.com", "b2", true},
		{"carol@example.com", "", false},
		{"not an address", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		m, ok := o.Last(tt.to)
		if ok != tt.ok || m.Subject != tt.want {
			t.Errorf("Last(%q) = %q, %v; want %q, %v", tt.to, m.Subject, ok, tt.want, tt.ok)
		}
	}
}

func TestOutboxConcurrent(t *testing.T) {
	const keep, writers, each = 20, 8, 50
	o := NewOutbox(keep, discardLogger())
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				m := Message{To: fmt.Sprintf("user%d@example.com", w), Subject: fmt.Sprintf("%d-%d", w, i), Text: "t"}
				if err := o.Send(context.Background(), m); err != nil {
					t.Error(err)
				}
			}
		})
	}
	for range 2 {
		wg.Go(func() {
			for range each {
				if n := len(o.Messages()); n > keep {
					t.Errorf("Messages() has %d, more than %d", n, keep)
				}
				o.Last("user0@example.com")
			}
		})
	}
	wg.Wait()
	msgs := o.Messages()
	if len(msgs) != keep {
		t.Fatalf("len(Messages()) = %d, want %d", len(msgs), keep)
	}
	// Each writer's messages appear in its own order, newest first.
	lastSeen := map[int]int{}
	for _, m := range msgs {
		var w, i int
		if _, err := fmt.Sscanf(m.Subject, "%d-%d", &w, &i); err != nil {
			t.Fatal(err)
		}
		if prev, ok := lastSeen[w]; ok && i >= prev {
			t.Errorf("writer %d: message %d listed after %d; want newest first", w, i, prev)
		}
		lastSeen[w] = i
	}
}

func TestOutboxLog(t *testing.T) {
	var buf bytes.Buffer
	o := NewOutbox(5, slog.New(slog.NewTextHandler(&buf, nil)))
	m := Message{
		To:      "Alice Liddell <alice@example.com>",
		Subject: "Confirm your sign-in",
		Text:    "Your code is 481516. Or open https://id.example.com/confirm?t=tok-secret",
		HTML:    `<a href="https://id.example.com/confirm?t=tok-secret">481516</a>`,
	}
	if err := o.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	line := buf.String()
	if strings.Count(line, "\n") != 1 {
		t.Fatalf("want one log line, got %q", line)
	}
	for _, want := range []string{"level=INFO", "email to a***@example.com: Confirm your sign-in"} {
		if !strings.Contains(line, want) {
			t.Errorf("log %q lacks %q", line, want)
		}
	}
	for _, leak := range []string{"481516", "tok-secret", "alice@", "Liddell"} {
		if strings.Contains(line, leak) {
			t.Errorf("log %q leaks %q", line, leak)
		}
	}
}

func TestOutboxRefusesWhatSMTPRefuses(t *testing.T) {
	var buf bytes.Buffer
	o := NewOutbox(5, slog.New(slog.NewTextHandler(&buf, nil)))
	for _, m := range []Message{
		{To: "a@b.com\r\nBcc: x@y.com", Subject: "s", Text: "t"},
		{To: "a@b.com", Subject: "s\r\nBcc: x@y.com", Text: "t"},
		{To: "a@b.com, x@y.com", Subject: "s", Text: "t"},
		{To: "a@b.com", Subject: "s"},
	} {
		if err := o.Send(context.Background(), m); !errors.Is(err, ErrInvalidMessage) {
			t.Errorf("Send(%q) = %v, want ErrInvalidMessage", m.To, err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := o.Send(ctx, Message{To: "a@b.com", Subject: "s", Text: "t"}); !errors.Is(err, context.Canceled) {
		t.Errorf("Send with cancelled context = %v", err)
	}
	if n := len(o.Messages()); n != 0 || buf.Len() != 0 {
		t.Errorf("recorded %d messages, logged %q", n, buf.String())
	}
}

func TestRedact(t *testing.T) {
	tests := []struct{ in, want string }{
		{"alice@example.com", "a***@example.com"},
		{"Alice Liddell <alice@example.com>", "a***@example.com"},
		{"a@example.com", "a***@example.com"},
		{"élodie@example.fr", "é***@example.fr"},
		{`"john doe"@example.com`, "j***@example.com"},
		{"", ""},
		{"alice", "***"},
		{"not an address", "***"},
		{"a@b.com\r\nBcc: x@y.com", "***"},
		{"a@b.com, x@y.com", "***"},
		{"\xff@example.com", "***"},
	}
	for _, tt := range tests {
		if got := Redact(tt.in); got != tt.want {
			t.Errorf("Redact(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
