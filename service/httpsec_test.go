package service_test

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"lantian/internal/devenv/testenv"
	"lantian/service"
)

// login posts the emergency token to the console and returns the Set-Cookie header.
func login(t *testing.T, addr string, header http.Header) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, "http://"+addr+"/warnings/login", strings.NewReader(url.Values{"token": {emergencyToken}}.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range header {
		req.Header[k] = v
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	c := resp.Header.Get("Set-Cookie")
	if c == "" {
		t.Fatalf("login: %s without a cookie", resp.Status)
	}
	return c
}

func TestCookiesSecureBehindHTTPSAndMetricsOnTheirOwnListener(t *testing.T) {
	influx := testenv.StartInflux(t)
	mosq := testenv.StartMosquitto(t)
	cfg := testConfig(t, mosq.URL, influx.URL, "lantian-test-httpsec")
	cfg.HTTP.TrustedProxies = []string{"127.0.0.2"}
	cfg.HTTP.MetricsAddr = "127.0.0.1:0"
	run := startService(t, cfg)
	setWarningTokens(t, run.svc)
	addr := run.svc.HTTPAddr

	if c := login(t, addr, nil); strings.Contains(c, "Secure") {
		t.Errorf("plain HTTP login got a Secure cookie: %s", c)
	}
	// X-Forwarded-Proto from an address that is not a trusted proxy is ignored.
	if c := login(t, addr, http.Header{"X-Forwarded-Proto": {"https"}}); strings.Contains(c, "Secure") {
		t.Errorf("X-Forwarded-Proto from an untrusted address made the cookie Secure: %s", c)
	}
	// From the trusted proxy (127.0.0.2) it counts.
	proxyClient := &http.Client{
		Transport:     &http.Transport{DialContext: (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}}).DialContext},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/warnings/login", strings.NewReader("token="+emergencyToken))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Forwarded-Proto", "https")
	resp, err := proxyClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if c := resp.Header.Get("Set-Cookie"); !strings.Contains(c, "; Secure") {
		t.Errorf("login through the trusted proxy over HTTPS: cookie %q is not Secure", c)
	}

	// Metrics and health are on their own listener and not on the console's.
	get := func(url string) int {
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := get("http://" + run.svc.MetricsAddr + "/metrics"); code != http.StatusOK {
		t.Errorf("/metrics on metrics_addr: %d", code)
	}
	if code := get("http://" + run.svc.MetricsAddr + "/readyz"); code != http.StatusOK {
		t.Errorf("/readyz on metrics_addr: %d", code)
	}
	if code := get("http://" + addr + "/metrics"); code == http.StatusOK {
		t.Errorf("/metrics still served on http.addr")
	}

	// A client that sends half a request and stalls is cut off by the server's timeouts.
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := fmt.Fprintf(c, "GET /api/v1/stations HTTP/1.1\r\nHost: x\r\n"); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(20 * time.Second))
	start := time.Now()
	_, err = c.Read(make([]byte, 1024))
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Errorf("a stalled request header kept the connection open for %v", time.Since(start))
	}
}

func TestSecureCookiesSwitch(t *testing.T) {
	influx := testenv.StartInflux(t)
	mosq := testenv.StartMosquitto(t)
	cfg := testConfig(t, mosq.URL, influx.URL, "lantian-test-securecookies")
	cfg.HTTP.SecureCookies = true
	run := startService(t, cfg)
	setWarningTokens(t, run.svc)
	if c := login(t, run.svc.HTTPAddr, nil); !strings.Contains(c, "; Secure") {
		t.Errorf("http.secure_cookies: cookie %q is not Secure", c)
	}
}

func TestEveryHTTPServerTimeoutIsSet(t *testing.T) {
	srv := service.HTTPServerOf(http.NotFoundHandler())
	for name, d := range map[string]time.Duration{"ReadHeaderTimeout": srv.ReadHeaderTimeout, "ReadTimeout": srv.ReadTimeout,
		"WriteTimeout": srv.WriteTimeout, "IdleTimeout": srv.IdleTimeout} {
		if d <= 0 || d > 2*time.Minute {
			t.Errorf("%s = %v: a slow or idle client could hold a connection for ever", name, d)
		}
	}
	if srv.MaxHeaderBytes <= 0 || srv.MaxHeaderBytes > 1<<20 {
		t.Errorf("MaxHeaderBytes = %d", srv.MaxHeaderBytes)
	}
}
