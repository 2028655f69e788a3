// Package localproc runs a local service process (InfluxDB, Mosquitto) for the demo and the
// tests: started, waited for until ready, stopped gracefully, restartable on the same ports
// and data.
package localproc

import (
	"bytes"
	"fmt"
	"net/http"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// Process is a restartable service process.
type Process struct {
	Name string
	Bin  string
	Args []string
	// Ready reports nil once the process serves.
	Ready func() error
	// ReadyTimeout bounds the wait for Ready (default 3 min: a loaded CI machine can take
	// over a minute to start InfluxDB).
	ReadyTimeout time.Duration

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
	out    *syncBuffer
}

// Start starts the process, unless it runs already, and waits until it is ready.
func (p *Process) Start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd != nil {
		return nil
	}
	out := &syncBuffer{}
	cmd := exec.Command(p.Bin, p.Args...)
	cmd.Stdout, cmd.Stderr = out, out
	// Its own process group: Ctrl-C in a terminal reaches the demo, which then stops the
	// services in order instead of having them killed under it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", p.Name, err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	timeout := p.ReadyTimeout
	if timeout == 0 {
		timeout = 3 * time.Minute
	}
	deadline := time.Now().Add(timeout)
	for {
		err := p.Ready()
		if err == nil {
			break
		}
		select {
		case <-exited:
			return fmt.Errorf("%s exited on start: %v: %s", p.Name, err, out.String())
		default:
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			<-exited
			return fmt.Errorf("%s not ready after %s: %v: %s", p.Name, timeout, err, out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	p.cmd, p.exited, p.out = cmd, exited, out
	return nil
}

// Stop stops the process with SIGTERM, or SIGKILL after 15 s.
func (p *Process) Stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(15 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
	p.cmd = nil
}

// Restart stops and starts the process on the same arguments.
func (p *Process) Restart() error {
	p.Stop()
	return p.Start()
}

// Log is what the process printed since it last started (the last MiB at most).
func (p *Process) Log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.out == nil {
		return ""
	}
	return p.out.String()
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.buf.Len() > 1<<20 {
		b.buf.Reset()
	}
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// HTTPReady is a Ready check that wants a 2xx answer from url.
func HTTPReady(url string) func() error {
	c := http.Client{Timeout: time.Second}
	return func() error {
		resp, err := c.Get(url)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			return fmt.Errorf("%s: %s", url, resp.Status)
		}
		return nil
	}
}
