package leakcheck

import (
	"strings"
	"testing"
	"time"
)

func TestLeaked(t *testing.T) {
	before := Snapshot()
	stop := make(chan struct{})
	started := make(chan struct{})
	go func() {
		close(started)
		<-stop
	}()
	<-started
	leaked := Leaked(before)
	if len(leaked) != 1 || !strings.Contains(leaked[0], "leakcheck.TestLeaked.func1") {
		t.Fatalf("leaked: %q", leaked)
	}
	close(stop)
	deadline := time.Now().Add(5 * time.Second)
	for len(Leaked(before)) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("still leaked: %q", Leaked(before))
		}
		time.Sleep(time.Millisecond)
	}
}

func TestCheckPasses(t *testing.T) {
	Check(t)
	done := make(chan struct{})
	go func() { time.Sleep(20 * time.Millisecond); close(done) }()
	t.Cleanup(func() { <-done })
}
