package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"

	"lantian/ingest/hj212"
	"lantian/service"
)

func hj212Cmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: lantian hj212 decode|serve|send [flags]")
		return errUsage
	}
	switch args[0] {
	case "decode":
		return hj212Decode(args[1:], stdout, stderr)
	case "serve":
		return hj212Serve(ctx, args[1:], stderr)
	case "send":
		return hj212Send(ctx, args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "lantian hj212: unknown subcommand %q (want decode, serve or send)\n", args[0])
	return errUsage
}

// hj212Decode prints one JSON object per packet read from stdin or a file, passwords masked,
// and a summary on stderr; bad packets are reported in their JSON line, and the exit status is
// non-zero only when no frame decoded.
func hj212Decode(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("lantian hj212 decode", flag.ContinueOnError)
	fs.SetOutput(stderr)
	zone := fs.String("timezone", "Asia/Shanghai", "zone of DataTime in the packets")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	loc, err := time.LoadLocation(*zone)
	if err != nil {
		return fmt.Errorf("--timezone: %w", err)
	}
	var in io.Reader = os.Stdin
	switch fs.NArg() {
	case 0:
	case 1:
		f, err := os.Open(fs.Arg(0))
		if err != nil {
			return fmt.Errorf("open packets: %w", err)
		}
		defer f.Close()
		in = f
	default:
		return errUsage
	}
	w := bufio.NewWriter(stdout)
	n, err := hj212.DecodeJSONCount(in, w, loc)
	if err != nil {
		return fmt.Errorf("decode: %w", err)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "hj212 decode: %d frames, %d decoded, %d rejected, %d junk bytes skipped\n", n.Frames, n.Decoded, n.Rejected, n.JunkBytes)
	if n.Decoded == 0 {
		return errors.New("hj212 decode: no frame decoded")
	}
	return nil
}

// hj212Serve runs the ingest service with the HJ 212 gateway on.
func hj212Serve(ctx context.Context, args []string, stderr io.Writer) error {
	listen := ":9212"
	rest := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		switch a := args[i]; {
		case a == "--listen" || a == "-listen":
			if i+1 >= len(args) {
				return errUsage
			}
			listen = args[i+1]
			i++
		case strings.HasPrefix(a, "--listen=") || strings.HasPrefix(a, "-listen="):
			_, listen, _ = strings.Cut(a, "=")
		default:
			rest = append(rest, a)
		}
	}
	cfg, _, level, err := loadConfig("hj212 serve", rest, stderr)
	if err != nil {
		return err
	}
	cfg.HJ212.Listen = listen
	log, err := newLogger(stderr, level)
	if err != nil {
		return err
	}
	svc, err := service.New(cfg, log)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "HJ 212 gateway on %s\n", svc.HJ212Addr)
	return svc.Run(ctx)
}

// hj212Send sends packets (one per line) to a gateway and prints each reply, to test a live
// installation the way a data logger would talk to it.
func hj212Send(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("lantian hj212 send", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:9212", "gateway address")
	wait := fs.Duration("reply-timeout", 5*time.Second, "how long to wait for a reply to a packet that asks for one")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	var in io.Reader = os.Stdin
	if fs.NArg() == 1 {
		f, err := os.Open(fs.Arg(0))
		if err != nil {
			return fmt.Errorf("open packets: %w", err)
		}
		defer f.Close()
		in = f
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", *addr)
	if err != nil {
		return fmt.Errorf("connect to gateway: %w", err)
	}
	defer conn.Close()
	replies := hj212.NewSplitter(conn, hj212.DefaultMaxPacket)
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	sent := 0
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 || line[0] != '#' || bytes.HasPrefix(line, []byte("# ")) {
			continue
		}
		if _, err := conn.Write(append(line, '\r', '\n')); err != nil {
			return fmt.Errorf("send packet %d: %w", sent+1, err)
		}
		sent++
		p, perr := hj212.Parse(line)
		if perr != nil || !p.AnswerWanted() {
			fmt.Fprintf(stdout, "sent %d (no reply asked)\n", sent)
			continue
		}
		_ = conn.SetReadDeadline(time.Now().Add(*wait))
		reply, err := replies.Next()
		if err != nil {
			var fe *hj212.FrameError
			if errors.As(err, &fe) {
				fmt.Fprintf(stdout, "sent %d, bad reply: %v\n", sent, err)
				continue
			}
			return fmt.Errorf("reply to packet %d: %w", sent, err)
		}
		fmt.Fprintf(stdout, "sent %d, reply: %s\n", sent, bytes.TrimSpace(reply))
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read packets: %w", err)
	}
	fmt.Fprintf(stderr, "%d packets sent\n", sent)
	return nil
}
