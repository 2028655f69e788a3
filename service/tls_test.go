package service_test

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lantian/internal/devenv/testenv"
	"lantian/service"
)

// TestDeployBrokerServesTLSWithTheGeneratedCertificates runs the broker configuration of
// deploy/ (mosquitto.conf, the ACL, certificates from deploy/make-tls.sh) on a real
// Mosquitto, with ports and paths moved to a temporary folder: Lantian connects over TLS with
// the generated CA and its account, and the TLS port refuses plain MQTT.
func TestDeployBrokerServesTLSWithTheGeneratedCertificates(t *testing.T) {
	root := testenv.RepoRoot()
	dir := t.TempDir()
	tlsDir := filepath.Join(dir, "tls")
	if out, err := exec.Command("sh", filepath.Join(root, "deploy", "make-tls.sh"), tlsDir).CombinedOutput(); err != nil {
		t.Fatalf("make-tls.sh: %v\n%s", err, out)
	}
	if out, err := exec.Command("mosquitto_passwd", "-c", "-b", filepath.Join(dir, "passwords"), "lantian", "broker-pw").CombinedOutput(); err != nil {
		t.Fatalf("mosquitto_passwd: %v\n%s", err, out)
	}
	conf, err := os.ReadFile(filepath.Join(root, "deploy", "mosquitto.conf"))
	if err != nil {
		t.Fatal(err)
	}
	plain, tlsPort := testenv.FreePort(t), testenv.FreePort(t)
	runAs := "root"
	if u, err := user.Current(); err == nil {
		runAs = u.Username
	}
	c := strings.NewReplacer(
		"listener 1883", fmt.Sprintf("listener %d 127.0.0.1", plain),
		"listener 8883", fmt.Sprintf("listener %d 127.0.0.1", tlsPort),
		"/mosquitto/certs/", tlsDir+"/",
		"/mosquitto/config/", dir+"/",
		"/mosquitto/data/", dir+"/",
		"log_dest stdout", "log_dest stderr",
	).Replace(string(conf))
	c = "user " + runAs + "\n" + c
	acl, err := os.ReadFile(filepath.Join(root, "deploy", "mosquitto", "acl"))
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"mosquitto.conf": []byte(c), "acl": acl} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	broker := exec.Command("mosquitto", "-c", filepath.Join(dir, "mosquitto.conf"))
	broker.Stderr = testWriter{t}
	if err := broker.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = broker.Process.Kill(); _ = broker.Wait() })
	testenv.Eventually(t, 10*time.Second, func() error {
		conn, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", tlsPort))
		if err != nil {
			return err
		}
		return conn.Close()
	})

	influx := testenv.StartInflux(t)
	cfg := testConfig(t, fmt.Sprintf("ssl://localhost:%d", tlsPort), influx.URL, "lantian-test-tls")
	cfg.MQTT.Username, cfg.MQTT.Password = "lantian", "broker-pw"
	cfg.MQTT.TLS.CAFile = filepath.Join(tlsDir, "ca.crt")
	startService(t, cfg) // waits until the collector is connected

	// Plain MQTT on the TLS port does not get through.
	plainCfg := testConfig(t, fmt.Sprintf("tcp://127.0.0.1:%d", tlsPort), influx.URL, "lantian-test-plain")
	plainCfg.MQTT.Username, plainCfg.MQTT.Password = "lantian", "broker-pw"
	logs := &logBuffer{t: t}
	svc, err := service.New(plainCfg, newTestLogger(logs))
	if err != nil {
		t.Fatal(err)
	}
	startUnready(t, svc)
	testenv.Eventually(t, 20*time.Second, func() error {
		if !strings.Contains(logs.String(), "cannot connect to MQTT broker") {
			return fmt.Errorf("no refused connection logged yet")
		}
		return nil
	})
	if svcConnected(svc) {
		t.Error("plain MQTT connected to the TLS listener")
	}
}
