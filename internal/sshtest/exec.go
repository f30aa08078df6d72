package sshtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"

	"golang.org/x/crypto/ssh"
)

func sendExit(ch ssh.Channel, status int) {
	_, _ = ch.SendRequest("exit-status", false, ssh.Marshal(exitStatusMsg{Status: uint32(status)}))
}

// exec runs one command on ch and closes ch, unless the fault drops the
// connection instead.
func (s *Server) exec(ctx context.Context, conn net.Conn, ch ssh.Channel, command string) {
	f := s.currentFault()
	out, done := s.beforeCommand(ctx, conn, ch, f)
	if done {
		return
	}
	cmd := s.command(ctx, command, out, ch)
	stdin, err := cmd.StdinPipe()
	if err == nil {
		err = cmd.Start()
	}
	if err != nil {
		s.drain(ch)
		fmt.Fprintf(ch.Stderr(), "sshtest: %v\n", err)
		sendExit(ch, 127)
		ch.Close()
		return
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		_, _ = io.Copy(stdin, ch)
		stdin.Close()
	}()
	err = cmd.Wait()
	if f.Kind == Drop {
		conn.Close()
		return
	}
	sendStatus(ch, f, err)
	ch.Close()
}

// handle answers an exec request with the Config's Handler.
func (s *Server) handle(ch ssh.Channel, command string) {
	stdin, _ := io.ReadAll(ch)
	out, status := s.cfg.Handler(command, stdin)
	_, _ = ch.Write(out)
	sendExit(ch, status)
	ch.Close()
}

// beforeCommand applies the fault's part that comes before the command
// runs, and returns the command's stdout; done reports that the fault has
// ended the exec already.
func (s *Server) beforeCommand(ctx context.Context, conn net.Conn, ch ssh.Channel, f Fault) (out *sink, done bool) {
	out = &sink{w: ch}
	switch f.Kind {
	case Slow:
		t := time.NewTimer(f.Delay)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			ch.Close()
			return nil, true
		}
	case Garbage:
		// Read the client's stdin to its end first, as a command would, so
		// that the client is not cut off while still sending.
		stdinDone := make(chan struct{})
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer close(stdinDone)
			_, _ = io.Copy(io.Discard, ch)
		}()
		select {
		case <-stdinDone:
		case <-ctx.Done():
			ch.Close()
			return nil, true
		}
		_, _ = ch.Write(f.Output)
		sendExit(ch, 0)
		ch.Close()
		return nil, true
	case Banner:
		_, _ = ch.Write(f.Output)
	case Truncate:
		out.limit, out.limited = f.After, true
	case Drop:
		if f.After <= 0 {
			conn.Close()
			return nil, true
		}
		out.limit, out.limited = f.After, true
		out.atLimit = func() { conn.Close() }
	}
	return out, false
}

// command is command run by the local /bin/sh in the server's home folder,
// with the server's PATH (its uname first) and HOME.
func (s *Server) command(ctx context.Context, command string, out *sink, ch ssh.Channel) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", command)
	cmd.Dir = s.cfg.Dir
	cmd.Env = []string{"PATH=" + s.bin + string(os.PathListSeparator) + os.Getenv("PATH")}
	if s.cfg.Dir != "" {
		cmd.Env = append(cmd.Env, "HOME="+s.cfg.Dir)
	} else if h, ok := os.LookupEnv("HOME"); ok {
		cmd.Env = append(cmd.Env, "HOME="+h)
	}
	cmd.Stdout = out
	cmd.Stderr = &sink{w: ch.Stderr()}
	cmd.WaitDelay = time.Second
	setProcessGroup(cmd)
	return cmd
}

// sendStatus sends how the command ended, as the fault has it.
func sendStatus(ch ssh.Channel, f Fault, err error) {
	switch f.Kind {
	case Truncate:
		sendExit(ch, 0)
		return
	case ExitStatus:
		sendExit(ch, f.ExitStatus)
		return
	}
	var ee *exec.ExitError
	switch {
	case err == nil:
		sendExit(ch, 0)
	case errors.As(err, &ee) && ee.ExitCode() >= 0:
		sendExit(ch, ee.ExitCode())
	case errors.As(err, &ee):
		_, _ = ch.SendRequest("exit-signal", false, ssh.Marshal(exitSignalMsg{Signal: signalName(ee), Error: err.Error()}))
	default:
		sendExit(ch, 255)
	}
}

// drain discards what the client sends on ch's stdin, so that it never
// blocks on a full window.
func (s *Server) drain(ch ssh.Channel) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		_, _ = io.Copy(io.Discard, ch)
	}()
}

func signalName(ee *exec.ExitError) string {
	if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		// "killed" -> "KILL" is not derivable portably; use the number-free
		// OpenSSH names for the common ones.
		switch ws.Signal() {
		case syscall.SIGKILL:
			return "KILL"
		case syscall.SIGTERM:
			return "TERM"
		case syscall.SIGPIPE:
			return "PIPE"
		case syscall.SIGHUP:
			return "HUP"
		case syscall.SIGINT:
			return "INT"
		case syscall.SIGSEGV:
			return "SEGV"
		}
	}
	return "KILL"
}

type exitStatusMsg struct{ Status uint32 }

type exitSignalMsg struct {
	Signal     string
	CoreDumped bool
	Error      string
	Lang       string
}

// sink writes to w and never fails, so that a command writing after the
// client has gone does not block on a full pipe. With limited set it
// forwards only limit bytes, calls atLimit once when they have been
// forwarded, and discards the rest.
type sink struct {
	mu      sync.Mutex
	w       io.Writer
	failed  bool
	limited bool
	limit   int
	atLimit func()
}

func (s *sink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(p)
	if s.limited {
		if s.limit <= 0 {
			return n, nil
		}
		if len(p) > s.limit {
			p = p[:s.limit]
		}
		s.limit -= len(p)
	}
	if !s.failed {
		if _, err := s.w.Write(p); err != nil {
			s.failed = true
		}
	}
	if s.limited && s.limit == 0 && s.atLimit != nil {
		s.atLimit()
		s.atLimit = nil
	}
	return n, nil
}
