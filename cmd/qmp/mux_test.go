package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qapi-go/qapi/internal/qemutest"
	"github.com/qapi-go/qapi/runtime"
)

// startMux starts QEMU and a mux in process in front of it, with a
// listener and a read-only listener, logging traffic to a file.
func startMux(t *testing.T) (p *qemutest.Process, m *mux, sock, roSock, logPath string) {
	t.Helper()
	return startMuxConfig(t, muxConfig{allow: defaultReadOnlyAllow})
}

func startMuxConfig(t *testing.T, cfg muxConfig) (p *qemutest.Process, m *mux, sock, roSock, logPath string) {
	t.Helper()
	p = qemutest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	up, err := runtime.DialQMP(ctx, "unix", p.Socket)
	if err != nil {
		t.Fatal(err)
	}
	dir := qemutest.SocketDir(t)
	logPath = filepath.Join(dir, "traffic.jsonl")
	f, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	cfg.log = newTrafficLog(f)
	m = newMux(up, cfg)
	sock, roSock = filepath.Join(dir, "mux.sock"), filepath.Join(dir, "ro.sock")
	for _, l := range []struct {
		path string
		ro   bool
	}{{sock, false}, {roSock, true}} {
		ln, err := net.Listen("unix", l.path)
		if err != nil {
			t.Fatal(err)
		}
		go m.Serve(ln, l.ro)
	}
	t.Cleanup(func() { m.Close(); m.Wait() })
	return p, m, sock, roSock, logPath
}

// pythonClient is QEMU's own QMPClient: n mixed calls, each reply checked
// against what its request must return, then it waits for k STOP and k
// RESUME events and prints a summary.
const pythonClient = `
import asyncio, json, sys
from qemu.qmp import QMPClient, ExecuteError

async def main(sock, n, k):
    qmp = QMPClient('mux-test')
    await qmp.connect(sock)
    events = {"STOP": 0, "RESUME": 0}
    async def listen():
        async for ev in qmp.events:
            if ev['event'] in events:
                events[ev['event']] += 1
    task = asyncio.create_task(listen())
    print("ready", flush=True)
    misrouted = 0
    for i in range(n):
        m = i % 4
        try:
            if m == 0:
                r = await qmp.execute('query-status'); ok = 'status' in r
            elif m == 1:
                r = await qmp.execute('query-version'); ok = 'qemu' in r
            elif m == 2:
                r = await qmp.execute('qom-list', {'path': '/machine'}); ok = isinstance(r, list)
            else:
                try:
                    await qmp.execute('qom-list', {'path': f'/nonexistent-{i}'}); ok = False
                except ExecuteError as e:
                    ok = f"'/nonexistent-{i}'" in str(e)
        except Exception as e:
            print("error", repr(e), file=sys.stderr, flush=True)
            ok = False
        if not ok:
            misrouted += 1
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 30
    while (events["STOP"] < k or events["RESUME"] < k) and loop.time() < deadline:
        await asyncio.sleep(0.02)
    print(json.dumps({"calls": n, "misrouted": misrouted, "events": events}), flush=True)
    task.cancel()
    await qmp.disconnect()

asyncio.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))
`

type clientSummary struct {
	Calls     int            `json:"calls"`
	Misrouted int            `json:"misrouted"`
	Events    map[string]int `json:"events"`
}

// mixedCall is call i of the Go and socat clients: a request and a check
// that a reply is the one for it.
func mixedCall(i int) (command string, args map[string]any, check func(ret json.RawMessage, cerr *runtime.CommandError) bool) {
	switch i % 4 {
	case 0:
		return "query-status", nil, func(r json.RawMessage, e *runtime.CommandError) bool {
			return e == nil && strings.Contains(string(r), `"status"`)
		}
	case 1:
		return "query-version", nil, func(r json.RawMessage, e *runtime.CommandError) bool {
			return e == nil && strings.Contains(string(r), `"qemu"`)
		}
	case 2:
		return "qom-list", map[string]any{"path": "/machine"}, func(r json.RawMessage, e *runtime.CommandError) bool {
			return e == nil && strings.HasPrefix(string(r), "[")
		}
	}
	path := fmt.Sprintf("/nonexistent-%d", i)
	return "qom-list", map[string]any{"path": path}, func(r json.RawMessage, e *runtime.CommandError) bool {
		return e != nil && strings.Contains(e.Desc, "'"+path+"'")
	}
}

// goClient is our own client through the mux: n mixed calls with the
// runtime, events counted from a subscription.
func goClient(ctx context.Context, sock string, n, k int, ready chan<- struct{}) (clientSummary, error) {
	q, err := runtime.DialQMP(ctx, "unix", sock)
	if err != nil {
		return clientSummary{}, err
	}
	defer q.Close()
	sub := q.SubscribeBuffer(4096, "STOP", "RESUME")
	ready <- struct{}{}
	s := clientSummary{Calls: n, Events: map[string]int{}}
	for i := 0; i < n; i++ {
		cmd, args, check := mixedCall(i)
		var a any
		if args != nil {
			a = args
		}
		r, err := q.Execute(ctx, cmd, a)
		var ce *runtime.CommandError
		if err != nil && !errors.As(err, &ce) {
			return s, err
		}
		if !check(r, ce) {
			s.Misrouted++
		}
	}
	for s.Events["STOP"] < k || s.Events["RESUME"] < k {
		select {
		case ev := <-sub.Events():
			s.Events[ev.Name]++
		case <-ctx.Done():
			return s, nil
		}
	}
	return s, nil
}

// socatClient drives socat (stdin/stdout) with raw QMP: every request
// carries an id of a different JSON shape, all n are pipelined, and each
// reply must come back in order with its id byte for byte.
func socatClient(ctx context.Context, t *testing.T, sock string, n, k int, ready chan<- struct{}) (clientSummary, error) {
	socat := qemutest.Find(t, "socat", "QMPTEST_SOCAT")
	cmd := exec.CommandContext(ctx, socat, "-", "UNIX-CONNECT:"+sock)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		return clientSummary{}, err
	}
	defer cmd.Wait()
	defer stdin.Close()
	s := clientSummary{Calls: n, Events: map[string]int{}}
	// One goroutine reads lines; this one counts events and takes replies.
	lines := make(chan []byte, 64)
	go func() {
		defer close(lines)
		r := bufio.NewReader(stdout)
		for {
			line, err := r.ReadBytes('\n')
			if err != nil {
				return
			}
			lines <- line
		}
	}()
	deadline := time.After(60 * time.Second)
	// readMsg returns the next message that is not an event; with
	// wantEvents it returns once k STOP and k RESUME were counted.
	readMsg := func(wantEvents bool) (map[string]json.RawMessage, []byte, error) {
		for {
			if wantEvents && s.Events["STOP"] >= k && s.Events["RESUME"] >= k {
				return nil, nil, nil
			}
			var line []byte
			select {
			case l, ok := <-lines:
				if !ok {
					return nil, nil, io.EOF
				}
				line = l
			case <-deadline:
				return nil, nil, errors.New("socat client: timed out")
			}
			var m map[string]json.RawMessage
			if err := json.Unmarshal(line, &m); err != nil {
				return nil, nil, fmt.Errorf("socat client: %q: %v", line, err)
			}
			if ev, ok := m["event"]; ok {
				var name string
				json.Unmarshal(ev, &name)
				s.Events[name]++
				continue
			}
			if wantEvents {
				return nil, nil, fmt.Errorf("socat client: a reply nobody asked for: %s", line)
			}
			return m, line, nil
		}
	}
	if _, _, err := readMsg(false); err != nil { // the greeting
		return s, err
	}
	io.WriteString(stdin, `{"execute":"qmp_capabilities"}`)
	if m, line, err := readMsg(false); err != nil || string(m["return"]) != "{}" {
		return s, fmt.Errorf("negotiation: %s %v", line, err)
	}
	ready <- struct{}{}
	ids := make([]string, n)
	checks := make([]func(json.RawMessage, *runtime.CommandError) bool, n)
	var reqs strings.Builder
	for i := 0; i < n; i++ {
		// Ids of every JSON kind, with spacing the mux must keep.
		switch i % 5 {
		case 0:
			ids[i] = fmt.Sprint(i)
		case 1:
			ids[i] = fmt.Sprintf(`"id-%d"`, i)
		case 2:
			ids[i] = fmt.Sprintf(`{"n": %d, "tag": [1, "x"]}`, i)
		case 3:
			ids[i] = fmt.Sprintf(`[%d, null, true]`, i)
		case 4:
			ids[i] = fmt.Sprintf(`%d.5e1`, i)
		}
		c, args, check := mixedCall(i)
		checks[i] = check
		req := map[string]any{"execute": c}
		if args != nil {
			req["arguments"] = args
		}
		b, _ := json.Marshal(req)
		fmt.Fprintf(&reqs, "%s,\"id\":%s}\n", b[:len(b)-1], ids[i])
	}
	go io.WriteString(stdin, reqs.String())
	for i := 0; i < n; i++ {
		m, line, err := readMsg(false)
		if err != nil {
			return s, err
		}
		var ce *runtime.CommandError
		if e, ok := m["error"]; ok {
			ce = &runtime.CommandError{}
			json.Unmarshal(e, ce)
		}
		if string(m["id"]) != ids[i] || !checks[i](m["return"], ce) {
			s.Misrouted++
			t.Logf("socat reply %d: %s (want id %s)", i, line, ids[i])
		}
	}
	_, _, err := readMsg(true)
	return s, err
}

// TestMuxThreeClients runs QEMU's Python QMPClient, socat and our Go
// client through the mux at once, 1,000 mixed calls each, while events are
// triggered and a fourth client (socat) is killed with commands in flight;
// then the read-only listener refuses stop, and QEMU's exit ends them all.
func TestMuxThreeClients(t *testing.T) {
	t0 := time.Now()
	python, py := qemutest.QEMUPython(t)
	p, m, sock, roSock, logPath := startMux(t)
	const n, k = 1000, 10
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()

	ready := make(chan struct{}, 3)
	results := map[string]clientSummary{}
	errs := map[string]error{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	record := func(name string, s clientSummary, err error) {
		mu.Lock()
		defer mu.Unlock()
		results[name], errs[name] = s, err
	}
	script := filepath.Join(t.TempDir(), "client.py")
	os.WriteFile(script, []byte(pythonClient), 0o644)
	pyCmd := exec.CommandContext(ctx, python, script, sock, fmt.Sprint(n), fmt.Sprint(k))
	pyCmd.Env = append(os.Environ(), "PYTHONPATH="+py)
	pyOut, _ := pyCmd.StdoutPipe()
	var pyErr strings.Builder
	pyCmd.Stderr = &pyErr
	if err := pyCmd.Start(); err != nil {
		t.Fatal(err)
	}
	wg.Add(3)
	go func() {
		defer wg.Done()
		sc := bufio.NewScanner(pyOut)
		var s clientSummary
		var err error = errors.New("no summary")
		for sc.Scan() {
			if sc.Text() == "ready" {
				ready <- struct{}{}
				continue
			}
			err = json.Unmarshal(sc.Bytes(), &s)
		}
		if werr := pyCmd.Wait(); werr != nil {
			err = fmt.Errorf("%v: %s", werr, pyErr.String())
		}
		record("python", s, err)
	}()
	go func() {
		defer wg.Done()
		s, err := goClient(ctx, sock, n, k, ready)
		record("go", s, err)
	}()
	go func() {
		defer wg.Done()
		s, err := socatClient(ctx, t, sock, n, k, ready)
		record("socat", s, err)
	}()
	for i := 0; i < 3; i++ {
		select {
		case <-ready:
		case <-ctx.Done():
			t.Fatalf("clients not ready: %v", errs)
		}
	}

	// The trigger and the victim are clients too.
	trigger, err := runtime.DialQMP(ctx, "unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer trigger.Close()
	socat := qemutest.Find(t, "socat", "QMPTEST_SOCAT")
	victim := exec.Command(socat, "-", "UNIX-CONNECT:"+sock)
	vin, _ := victim.StdinPipe()
	if err := victim.Start(); err != nil {
		t.Fatal(err)
	}
	io.WriteString(vin, `{"execute":"qmp_capabilities"}`+strings.Repeat(`{"execute":"query-status","id":"victim"}`, 2000))
	for i := 0; i < k; i++ {
		for _, c := range []string{"stop", "cont"} {
			if _, err := trigger.Execute(ctx, c, nil); err != nil {
				t.Fatal(err)
			}
		}
		if i == 0 {
			victim.Process.Kill()
			victim.Wait()
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("triggers done %v", time.Since(t0))
	wg.Wait()
	t.Logf("clients done %v", time.Since(t0))
	for _, name := range []string{"python", "socat", "go"} {
		s := results[name]
		if errs[name] != nil {
			t.Errorf("%s client: %v", name, errs[name])
		}
		if s.Calls != n || s.Misrouted != 0 || s.Events["STOP"] != k || s.Events["RESUME"] != k {
			t.Errorf("%s client: %d calls, %d misrouted, events %v; want %d calls, 0 misrouted, %d STOP and %d RESUME", name, s.Calls, s.Misrouted, s.Events, n, k, k)
		}
	}

	// The read-only listener answers queries and refuses stop.
	ro, err := runtime.DialQMP(ctx, "unix", roSock)
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if _, err := ro.Execute(ctx, "query-status", nil); err != nil {
		t.Errorf("read-only query-status: %v", err)
	}
	_, err = ro.Execute(ctx, "stop", nil)
	var ce *runtime.CommandError
	if !errors.As(err, &ce) || ce.Class != runtime.GenericError || !strings.Contains(ce.Desc, "'stop' is not allowed on the read-only socket") {
		t.Errorf("read-only stop: %v", err)
	}
	var st struct{ Status string }
	if err := trigger.Call(ctx, "query-status", nil, &st); err != nil || st.Status != "running" {
		t.Errorf("after the refused stop QEMU is %q (%v), want running", st.Status, err)
	}

	// The traffic log holds every message as a JSON line, and shows that
	// the victim died with requests unanswered.
	logData, _ := os.ReadFile(logPath)
	victimIn, victimOut := 0, 0
	for i, line := range strings.Split(strings.TrimSpace(string(logData)), "\n") {
		var l struct {
			Client uint64
			Dir    string
			Msg    json.RawMessage
		}
		if err := json.Unmarshal([]byte(line), &l); err != nil || l.Dir == "" || l.Msg == nil {
			t.Fatalf("log line %d %q: %v", i+1, line, err)
		}
		if strings.Contains(string(l.Msg), `"id":"victim"`) {
			switch l.Dir {
			case "in":
				victimIn++
			case "out":
				victimOut++
			}
		}
	}
	t.Logf("the victim sent %d requests and was sent %d replies before it was killed", victimIn, victimOut)
	if victimIn == 0 || victimOut >= victimIn {
		t.Errorf("the victim was not killed with commands in flight: %d requests, %d replies", victimIn, victimOut)
	}

	t.Logf("checks done %v", time.Since(t0))
	// When QEMU goes away, every client sees the end.
	p.Kill()
	for name, s := range map[string]interface{ Done() <-chan struct{} }{"trigger": trigger, "read-only": ro} {
		select {
		case <-s.Done():
		case <-time.After(10 * time.Second):
			t.Errorf("%s client still connected after QEMU exited", name)
		}
	}
	m.Close()
}
