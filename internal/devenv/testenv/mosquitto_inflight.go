package testenv

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lantian/internal/devenv/localproc"
)

// StartMosquittoInflight starts a Mosquitto broker like StartMosquitto but with
// max_inflight_messages set to maxInflight; 0 is Mosquitto's "no limit", under which the broker
// pushes a subscriber's whole queue at once.
func StartMosquittoInflight(t testing.TB, maxInflight int) *Mosquitto {
	t.Helper()
	bin := findBinary(t, "LANTIAN_MOSQUITTO", []string{"/usr/sbin/mosquitto"}, "mosquitto")
	dir := t.TempDir()
	port := FreePort(t)
	conf := strings.Replace(MosquittoConf(port, dir), "max_inflight_messages 10000",
		fmt.Sprintf("max_inflight_messages %d", maxInflight), 1)
	confPath := filepath.Join(dir, "mosquitto.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	m := &Mosquitto{URL: "tcp://" + addr}
	m.Process = &Process{t: t, port: port, Process: &localproc.Process{Name: "mosquitto", Bin: bin, Args: []string{"-c", confPath},
		Ready: func() error {
			c, err := net.DialTimeout("tcp", addr, time.Second)
			if err != nil {
				return err
			}
			return c.Close()
		}}}
	m.Start()
	t.Cleanup(m.Stop)
	return m
}
