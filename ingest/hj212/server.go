package hj212

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"lantian/ingest/lograte"
	"lantian/ingest/reading"
)

// Sink receives what the gateway decodes.
type Sink interface {
	// Store must return nil only once the readings are durable: the gateway acknowledges the
	// packet (CN=9014) only after that, and a logger that gets no answer sends the data again.
	// An error wrapping ErrRefused means "invalid for good": the packet is dead-lettered and
	// still acknowledged. Any other error is taken as transient: dead-lettered, not acknowledged.
	Store(ctx context.Context, rs []reading.Reading) error
	// DeadLetter keeps a packet the gateway could not use, with the reason (errors.Is with the
	// package's sentinels works on it; Reason gives a label). origin is "hj212-tcp <remote
	// address>": the first word is the data contract's dead-letter origin. It must not block
	// for long: it runs on the connection's goroutine.
	DeadLetter(origin string, raw []byte, reason error)
}

// ServerConfig configures a Server. Registry and Sink are required; zero values of the rest
// select the defaults noted.
type ServerConfig struct {
	// Addr is the listen address for ListenAndServe (default ":9212"; HJ 212 fixes no port).
	Addr string
	// MaxConns caps concurrent logger connections (default 1024); further ones are closed at once.
	MaxConns int
	// MaxConnsPerIP caps concurrent connections from one address (default 16), so that one
	// host cannot take every slot from the real loggers.
	MaxConnsPerIP int
	// MaxBadFrames closes a connection after this many bad frames (CRC, length, size, junk,
	// refused logins) in a row without a valid one (default 20).
	MaxBadFrames int
	// MaxPacket caps a frame in bytes (default DefaultMaxPacket).
	MaxPacket int
	// IdleTimeout closes a connection that sends no complete, valid frame for this long
	// (default 10 minutes: loggers send at least minute data and usually heartbeats far more
	// often). Bytes that complete no valid frame do not renew it, so a trickle of junk cannot
	// hold a connection open.
	IdleTimeout time.Duration
	// WriteTimeout bounds writing one reply (default 10 s, the 2017 edition's GPRS timeout).
	WriteTimeout time.Duration
	// StoreTimeout bounds one Sink.Store call (default 30 s). A store in progress at shutdown
	// is allowed to finish within this time so accepted data is not half-written.
	StoreTimeout time.Duration
	// Location of DataTime stamps (default Beijing time).
	Location *time.Location
	Registry Registry
	Sink     Sink
	// Logger (default: discard).
	Logger *slog.Logger
	// LogLimiter rate-limits the warnings about bad input; the service shares one with the
	// MQTT pipeline. nil makes one over Logger.
	LogLimiter *lograte.Limiter
	// Metrics is where the gateway registers its collectors; nil keeps them unregistered.
	Metrics prometheus.Registerer
	// Extras maps values outside the data contract too (see MapOptions.Extras).
	Extras bool
	// NoRejectReplies suppresses the CN=9011 answers (QnRtn 3 for a refused login, 9 CRC)
	// sent to a rejected packet that asked for an answer.
	NoRejectReplies bool
}

// Server is an HJ 212 monitoring-centre gateway: data loggers connect over TCP and push packets.
type Server struct {
	cfg    ServerConfig
	log    *slog.Logger
	limit  *lograte.Limiter
	m      *metrics
	splits *splitTracker

	mu    sync.Mutex
	perIP map[string]int
}

// NewServer checks the configuration and registers the metrics.
func NewServer(cfg ServerConfig) (*Server, error) {
	if cfg.Registry == nil || cfg.Sink == nil {
		return nil, fmt.Errorf("hj212: server: Registry and Sink are required: %w", ErrConfig)
	}
	if cfg.Addr == "" {
		cfg.Addr = ":9212"
	}
	if cfg.MaxConns <= 0 {
		cfg.MaxConns = 1024
	}
	if cfg.MaxConnsPerIP <= 0 {
		cfg.MaxConnsPerIP = 16
	}
	if cfg.MaxBadFrames <= 0 {
		cfg.MaxBadFrames = 20
	}
	if cfg.MaxPacket <= 0 {
		cfg.MaxPacket = DefaultMaxPacket
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = 10 * time.Minute
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = 10 * time.Second
	}
	if cfg.StoreTimeout <= 0 {
		cfg.StoreTimeout = 30 * time.Second
	}
	if cfg.Location == nil {
		cfg.Location = Beijing()
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	m, err := newMetrics(cfg.Metrics)
	if err != nil {
		return nil, err
	}
	limit := cfg.LogLimiter
	if limit == nil {
		limit = lograte.New(log, 0)
	}
	return &Server{
		cfg:    cfg,
		log:    log.With("component", "hj212"),
		limit:  limit,
		m:      m,
		splits: newSplitTracker(1024, 30*time.Minute),
		perIP:  map[string]int{},
	}, nil
}

// ListenAndServe listens on cfg.Addr and serves until ctx is done.
func (s *Server) ListenAndServe(ctx context.Context) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("hj212: listen %s: %w", s.cfg.Addr, err)
	}
	return s.Serve(ctx, ln)
}

// Serve accepts connections on ln until ctx is done, then closes ln and every connection and
// returns nil after all connection goroutines have finished. An accept error other than a
// temporary one ends serving early and is returned (after the same cleanup).
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	var wg sync.WaitGroup
	defer wg.Wait()
	sem := make(chan struct{}, s.cfg.MaxConns)
	s.log.Info("hj212 gateway listening", "addr", ln.Addr().String())
	backoff := time.Duration(0)
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				s.log.Info("hj212 gateway stopping")
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				s.log.Warn("accept failed; retrying", "err", err, "backoff", backoff)
				select {
				case <-time.After(backoff):
				case <-ctx.Done():
				}
				continue
			}
			cancel()
			return fmt.Errorf("hj212: accept: %w", err)
		}
		backoff = 0
		ip := remoteIP(c)
		if !s.takeIP(ip) {
			s.m.connsRejected.WithLabelValues("per_ip").Inc()
			s.limit.Warn(s.log, "conns-per-ip", "too many connections from one address; closing", "remote", c.RemoteAddr().String(), "max_per_ip", s.cfg.MaxConnsPerIP)
			c.Close()
			continue
		}
		select {
		case sem <- struct{}{}:
		default:
			s.releaseIP(ip)
			s.m.connsRejected.WithLabelValues("total").Inc()
			s.limit.Warn(s.log, "conns-total", "too many connections; closing", "remote", c.RemoteAddr().String(), "max", s.cfg.MaxConns)
			c.Close()
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem; s.releaseIP(ip) }()
			s.serveConn(ctx, c)
		}()
	}
}

func remoteIP(c net.Conn) string {
	if a, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		return a.IP.String()
	}
	host, _, err := net.SplitHostPort(c.RemoteAddr().String())
	if err != nil {
		return c.RemoteAddr().String()
	}
	return host
}

func (s *Server) takeIP(ip string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.perIP[ip] >= s.cfg.MaxConnsPerIP {
		return false
	}
	s.perIP[ip]++
	return true
}

func (s *Server) releaseIP(ip string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.perIP[ip]--; s.perIP[ip] <= 0 {
		delete(s.perIP, ip)
	}
}

// conn is the state of one logger connection.
type conn struct {
	s      *Server
	c      net.Conn
	origin string
	log    *slog.Logger
	// bad counts bad frames since the last valid one; valid says the last frame handled was
	// valid (complete, correct CRC, known device, right password), which renews the deadline.
	bad   int
	valid bool
}

// renew moves the idle deadline: only a complete, valid frame does.
func (cc *conn) renew() error {
	return cc.c.SetReadDeadline(time.Now().Add(cc.s.cfg.IdleTimeout))
}

// badFrame counts a bad frame; false means the connection has sent too many in a row.
func (cc *conn) badFrame() bool {
	cc.bad++
	if cc.bad < cc.s.cfg.MaxBadFrames {
		return true
	}
	cc.s.m.connsClosed.WithLabelValues("bad_frames").Inc()
	cc.s.limit.Warn(cc.log, "bad-frames", "closing connection after too many bad frames in a row", "bad_frames", cc.bad)
	return false
}

func (s *Server) serveConn(ctx context.Context, c net.Conn) {
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	s.m.conns.Inc()
	defer s.m.conns.Dec()
	remote := c.RemoteAddr().String()
	cc := &conn{s: s, c: c, origin: "hj212-tcp " + remote, log: s.log.With("remote", remote)}
	cc.log.Info("logger connected")
	if err := cc.renew(); err != nil {
		cc.log.Info("connection ended", "err", err)
		return
	}
	sp := NewSplitter(c, s.cfg.MaxPacket)
	for {
		frame, err := sp.Next()
		var fe *FrameError
		switch {
		case err == nil:
		case errors.Is(err, io.EOF):
			cc.log.Info("logger disconnected")
			return
		case !errors.As(err, &fe):
			var ne net.Error
			switch {
			case ctx.Err() != nil:
				cc.log.Info("connection closed for shutdown")
			case errors.As(err, &ne) && ne.Timeout():
				s.m.connsClosed.WithLabelValues("idle").Inc()
				cc.log.Info("closing connection: no valid frame within the idle timeout", "idle_timeout", s.cfg.IdleTimeout)
			default:
				cc.log.Info("connection ended", "err", err)
			}
			return
		case errors.Is(err, ErrJunk):
			var je *JunkError
			if errors.As(err, &je) {
				s.m.junk.Add(float64(je.Bytes))
			}
			cc.log.Debug("junk between frames", "err", err)
			if !cc.badFrame() {
				return
			}
			continue
		case frame == nil:
			// Too large or truncated: nothing to parse, keep the bytes we have.
			s.m.rejected.WithLabelValues(Reason(err)).Inc()
			s.cfg.Sink.DeadLetter(cc.origin, fe.Raw, err)
			s.limit.Warn(cc.log, "frame-"+Reason(err), "frame rejected", "err", err)
			if !cc.badFrame() {
				return
			}
			continue
		}
		cc.valid = false
		if !cc.handle(ctx, frame, err) {
			return
		}
		if !cc.valid {
			if !cc.badFrame() {
				return
			}
			continue
		}
		cc.bad = 0
		if err := cc.renew(); err != nil {
			cc.log.Info("connection ended", "err", err)
			return
		}
	}
}

// handle processes one frame; false means the connection is unusable (a reply failed).
func (cc *conn) handle(ctx context.Context, frame []byte, frameErr error) bool {
	s := cc.s
	p, err := Parse(frame)
	if frameErr == nil {
		frameErr = err
	}
	if p == nil {
		s.m.rejected.WithLabelValues(Reason(frameErr)).Inc()
		s.cfg.Sink.DeadLetter(cc.origin, frame, frameErr)
		s.limit.Warn(cc.log, "frame-"+Reason(frameErr), "frame rejected", "err", frameErr)
		return true
	}
	log := cc.log.With("mn", p.MN, "cn", p.CN, "qn", p.QN)
	dev, known := s.cfg.Registry.Device(p.MN)
	if frameErr != nil {
		if errors.Is(frameErr, ErrCRC) {
			// By reason, not by MN: a label per claimed MN would tell anyone who reads the
			// metrics which MNs are registered.
			s.m.crcErrors.Inc()
		}
		return cc.reject(p, frame, frameErr, QnBadCRC, log)
	}
	// An unknown MN and a refused password get the same answer (QnRtn=3) and the same metric
	// shape, so probing cannot tell which MNs are registered; the dead letter keeps the
	// detail for the operator.
	var authErr error
	if !known {
		authErr = &UnknownDeviceError{MN: p.MN}
	} else {
		authErr = dev.Authenticate(p.PW)
	}
	if authErr != nil {
		s.m.loginsRefused.WithLabelValues(Reason(authErr)).Inc()
		return cc.reject(p, frame, authErr, QnBadPW, log)
	}
	cc.valid = true
	label := p.MN
	s.m.packets.WithLabelValues(label).Inc()
	s.m.lastSeen.WithLabelValues(label).SetToCurrentTime()
	if len(p.Warnings) > 0 {
		log.Debug("packet accepted with deviations", "warnings", p.Warnings)
	}

	switch kind := classifyCN(p); kind {
	case cnData:
		return cc.storeData(ctx, p, dev, frame, log)
	case cnUpload:
		log.Debug("upload without readings for the data contract; acknowledged")
		return cc.replyIf(p.AnswerWanted(), p, DataReply, log)
	case cnNotice:
		return cc.replyIf(p.AnswerWanted(), p, NoticeReply, log)
	case cnAnswer:
		log.Debug("answer or heartbeat from logger")
		return true
	default:
		rtn := QnRefused
		if kind == cnUnknown {
			rtn = QnBadCN
		}
		log.Info("request from logger not executed", "qn_rtn", rtn)
		return cc.replyIf(p.AnswerWanted(), p, func(p *Packet) ([]byte, error) { return RequestReply(p, rtn) }, log)
	}
}

func (cc *conn) storeData(ctx context.Context, p *Packet, dev Device, frame []byte, log *slog.Logger) bool {
	s := cc.s
	var key splitKey
	if p.IsSplit() {
		dt, _ := p.Param("DataTime")
		key = splitKey{mn: p.MN, cn: p.CN, dataTime: dt, pnum: p.PNUM}
		if s.splits.has(key, p.PNO) {
			log.Info("split part already stored; acknowledging again", "pno", p.PNO, "pnum", p.PNUM)
			return cc.replyIf(p.AnswerWanted(), p, DataReply, log)
		}
	}
	rs, err := ToReading(p, dev, MapOptions{Location: s.cfg.Location, Extras: s.cfg.Extras})
	if err != nil {
		s.m.rejected.WithLabelValues(Reason(err)).Inc()
		s.cfg.Sink.DeadLetter(cc.origin, frame, err)
		s.limit.Warn(log, "not-mapped", "data packet not mapped", "err", err)
		return true
	}
	if len(rs.Values) > 0 {
		// Finish a store that has begun even if shutdown starts: the data is then durable and
		// only the answer is lost, which makes the logger resend (idempotent), not lose data.
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.StoreTimeout)
		err = s.cfg.Sink.Store(sctx, []reading.Reading{rs})
		cancel()
		if errors.Is(err, ErrRefused) {
			s.m.rejected.WithLabelValues(Reason(err)).Inc()
			s.cfg.Sink.DeadLetter(cc.origin, frame, err)
			s.limit.Warn(log, "sink-refused", "readings refused by the sink; dead-lettered and acknowledged", "err", err)
			return cc.replyIf(p.AnswerWanted(), p, DataReply, log)
		}
		if err != nil {
			err = fmt.Errorf("%w: %w", ErrStore, err)
			s.m.storeErrors.WithLabelValues(p.MN).Inc()
			s.m.rejected.WithLabelValues(Reason(err)).Inc()
			s.cfg.Sink.DeadLetter(cc.origin, frame, err)
			log.Error("store failed; not acknowledged", "err", err)
			return true
		}
	}
	if p.IsSplit() {
		complete, expired := s.splits.mark(key, p.PNO)
		if complete {
			log.Debug("split message complete", "pnum", p.PNUM)
		}
		s.m.splitIncomplete.Add(float64(expired))
	}
	return cc.replyIf(p.AnswerWanted(), p, DataReply, log)
}

// reject dead-letters a packet and, if it asked for an answer, tells the logger why with CN=9011.
func (cc *conn) reject(p *Packet, frame []byte, reason error, qnRtn int, log *slog.Logger) bool {
	s := cc.s
	s.m.rejected.WithLabelValues(Reason(reason)).Inc()
	s.cfg.Sink.DeadLetter(cc.origin, frame, reason)
	s.limit.Warn(log, "packet-"+Reason(reason), "packet rejected", "err", reason)
	if s.cfg.NoRejectReplies || errors.Is(reason, ErrField) {
		return true
	}
	return cc.replyIf(p.AnswerWanted(), p, func(p *Packet) ([]byte, error) { return RequestReply(p, qnRtn) }, log)
}

func (cc *conn) replyIf(want bool, p *Packet, build func(*Packet) ([]byte, error), log *slog.Logger) bool {
	if !want {
		return true
	}
	out, err := build(p)
	if err != nil {
		log.Error("cannot build reply", "err", err)
		return true
	}
	if err := cc.c.SetWriteDeadline(time.Now().Add(cc.s.cfg.WriteTimeout)); err != nil {
		log.Info("cannot reply", "err", err)
		return false
	}
	if _, err := cc.c.Write(out); err != nil {
		log.Info("cannot reply", "err", err)
		return false
	}
	if q, _ := Parse(out); q != nil {
		cc.s.m.replies.WithLabelValues(q.CN).Inc()
	}
	return true
}

type cnKind int

const (
	cnData    cnKind = iota // monitoring data for the sink
	cnUpload                // other uploads: acknowledge with 9014
	cnNotice                // notices: acknowledge with 9013
	cnAnswer                // answers and heartbeats: no reply
	cnRequest               // requests a centre does not execute: 9011 QnRtn=2
	cnUnknown               // unknown CN: 9011 QnRtn=8
)

func classifyCN(p *Packet) cnKind {
	if p.HasData() {
		return cnData
	}
	switch p.CN {
	case "2011", "2031", "2051", "2061", "1011", "1061", "1063", "2021", "2041", "2071", "2073",
		"2081", "3015", "3017", "3018", "3019", "3020":
		return cnUpload
	case "1013", "2072":
		return cnNotice
	case "9011", "9012", "9013", "9014", "9015", "9021", "8013":
		return cnAnswer
	case "1000", "1001", "1012", "1021", "1022", "1031", "1032", "1041", "1042", "1062", "1064",
		"1072", "2012", "2022", "3011", "3012", "3013", "3014", "3016", "3021":
		return cnRequest
	}
	return cnUnknown
}

// metrics are per device where a device is known (label "unknown" otherwise, so a flood of
// made-up MNs cannot grow the label set).
type metrics struct {
	packets         *prometheus.CounterVec
	crcErrors       prometheus.Counter
	loginsRefused   *prometheus.CounterVec
	connsClosed     *prometheus.CounterVec
	lastSeen        *prometheus.GaugeVec
	storeErrors     *prometheus.CounterVec
	rejected        *prometheus.CounterVec
	replies         *prometheus.CounterVec
	conns           prometheus.Gauge
	connsRejected   *prometheus.CounterVec
	junk            prometheus.Counter
	splitIncomplete prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	const ns, sub = "lantian", "hj212"
	m := &metrics{
		packets: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub,
			Name: "packets_total", Help: "Packets accepted from a registered device (frame, MN and password valid)."}, []string{"mn"}),
		crcErrors: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Subsystem: sub,
			Name: "crc_errors_total", Help: "Frames failing the CRC."}),
		loginsRefused: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub,
			Name: "logins_refused_total", Help: "Packets refused for their credentials, by reason (unknown_device, password, no_credentials); never by MN."}, []string{"reason"}),
		connsClosed: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub,
			Name: "connections_closed_total", Help: "Connections the gateway closed, by reason (idle: no valid frame within idle_timeout; bad_frames: too many bad frames in a row)."}, []string{"reason"}),
		lastSeen: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: ns, Subsystem: sub,
			Name: "last_seen_timestamp_seconds", Help: "Unix time of the last accepted packet of a device."}, []string{"mn"}),
		storeErrors: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub,
			Name: "store_errors_total", Help: "Data packets the sink did not store (not acknowledged)."}, []string{"mn"}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub,
			Name: "rejected_total", Help: "Frames and packets dead-lettered, by reason."}, []string{"reason"}),
		replies: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub,
			Name: "replies_total", Help: "Answers sent to loggers, by CN."}, []string{"cn"}),
		conns: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Subsystem: sub,
			Name: "connections", Help: "Open logger connections."}),
		connsRejected: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub,
			Name: "connections_rejected_total", Help: "Connections closed at once, by the cap reached (total, per_ip)."}, []string{"limit"}),
		junk: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Subsystem: sub,
			Name: "junk_bytes_total", Help: "Bytes between frames that belong to no frame."}),
		splitIncomplete: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Subsystem: sub,
			Name: "split_incomplete_total", Help: "Split messages given up before all parts arrived."}),
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.packets, m.crcErrors, m.loginsRefused, m.connsClosed, m.lastSeen, m.storeErrors,
		m.rejected, m.replies, m.conns, m.connsRejected, m.junk, m.splitIncomplete} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("hj212: register metrics: %w", err)
		}
	}
	return m, nil
}

// splitKey identifies a split message. Parts carry different QNs in the 2017 example, so the
// key is what they share.
type splitKey struct {
	mn, cn, dataTime string
	pnum             int
}

type splitEntry struct {
	got   map[int]bool
	first time.Time
}

// splitTracker remembers which parts of split messages were stored. Parts are self-contained
// and stored as they arrive (an answer per part is what the logger waits for before sending
// the next one); the tracker drops retransmitted parts and reports messages that never
// complete. It is bounded in entries and age.
type splitTracker struct {
	mu      sync.Mutex
	m       map[splitKey]*splitEntry
	max     int
	ttl     time.Duration
	nowFunc func() time.Time
}

func newSplitTracker(maxEntries int, ttl time.Duration) *splitTracker {
	return &splitTracker{m: map[splitKey]*splitEntry{}, max: maxEntries, ttl: ttl, nowFunc: time.Now}
}

func (t *splitTracker) has(k splitKey, pno int) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.m[k]
	return e != nil && e.got[pno]
}

// mark records a stored part; complete says all PNUM parts are in, expired how many other
// incomplete messages were given up to stay within bounds.
func (t *splitTracker) mark(k splitKey, pno int) (complete bool, expired int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.nowFunc()
	for key, e := range t.m {
		if now.Sub(e.first) > t.ttl {
			delete(t.m, key)
			expired++
		}
	}
	e := t.m[k]
	if e == nil {
		if len(t.m) >= t.max {
			var oldest splitKey
			var ot time.Time
			for key, e := range t.m {
				if ot.IsZero() || e.first.Before(ot) {
					oldest, ot = key, e.first
				}
			}
			delete(t.m, oldest)
			expired++
		}
		e = &splitEntry{got: map[int]bool{}, first: now}
		t.m[k] = e
	}
	e.got[pno] = true
	if len(e.got) >= k.pnum {
		delete(t.m, k)
		return true, expired
	}
	return false, expired
}
