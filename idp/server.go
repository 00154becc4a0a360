package idp

import (
	"context"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"time"

	"github.com/gorilla/mux"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/lockstep-id/lockstep/flows"
	"github.com/lockstep-id/lockstep/i18n"
	"github.com/lockstep-id/lockstep/templates"
)

// pageCSP allows our own stylesheet, scripts and images and nothing else. There is
// no form-action: Chrome applies it to the redirect chain after a form post, which
// ends at the client's redirect URI.
const pageCSP = "default-src 'none'; style-src 'self'; img-src 'self' data:; script-src 'self'; " +
	"connect-src 'self'; frame-ancestors 'none'; base-uri 'none'"

// Handler builds the HTTP handler with every endpoint under the issuer's path.
func (p *Provider) Handler() http.Handler {
	errorPages := p.opt.ErrorPages
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m := newMetrics(reg)

	root := mux.NewRouter()
	root.Handle("/healthz", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write([]byte("ok\n"))
	}))
	root.Handle("/readyz", http.HandlerFunc(p.ready))
	root.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))

	r := root
	if p.prefix != "" {
		r = root.PathPrefix(p.prefix).Subrouter()
	}
	csrf := http.NewCrossOriginProtection()
	page := func(h flows.HandlerFunc) http.Handler { return csrf.Handler(errorPages.Handle(h)) }
	step := func(h flows.StepFunc) http.Handler { return page(p.step(h)) }

	r.Handle(PathDiscovery, http.HandlerFunc(p.discovery)).Methods(http.MethodGet)
	r.Handle(PathJWKS, http.HandlerFunc(p.jwks)).Methods(http.MethodGet)
	r.Handle(PathAuthorize, errorPages.Handle(p.authorize)).Methods(http.MethodGet, http.MethodPost)
	r.Handle(PathResume, errorPages.Handle(p.resume)).Methods(http.MethodGet)
	cors := &corsOrigins{store: p.opt.Store, now: p.opt.Now, ttl: ClientCacheTTL}
	r.Handle(PathToken, cors.wrap(http.HandlerFunc(p.token))).Methods(http.MethodPost, http.MethodOptions)
	r.Handle(PathIntrospect, http.HandlerFunc(p.introspect)).Methods(http.MethodPost)
	r.Handle(PathRevoke, cors.wrap(http.HandlerFunc(p.revoke))).Methods(http.MethodPost, http.MethodOptions)
	r.Handle(PathUserinfo, cors.wrap(http.HandlerFunc(p.userinfo))).Methods(http.MethodGet, http.MethodPost, http.MethodOptions)
	for _, rt := range p.opt.Routes {
		h := page(rt.Page)
		if rt.Step != nil {
			h = step(rt.Step)
		}
		r.Handle(rt.Path, h).Methods(rt.Method)
	}
	for _, m := range p.opt.Mounts {
		r.PathPrefix(m.Prefix).Handler(csrf.Handler(m.Build(p)))
	}
	r.Handle(PathEndSession, page(p.logoutPage)).Methods(http.MethodGet)
	r.Handle(PathEndSession, page(p.logoutSubmit)).Methods(http.MethodPost)
	static := p.opt.Pages.StaticHandler() // with the brand's stylesheet and logo
	r.PathPrefix(templates.LogosPath).Handler(http.HandlerFunc(p.logo)).Methods(http.MethodGet, http.MethodHead)
	r.PathPrefix(PathStatic).Handler(http.StripPrefix(p.prefix, static))
	r.Handle(PathLanguage, i18n.SwitchHandler(p.prefix, p.issuer.Scheme == "https")).Methods(http.MethodGet)
	if p.prefix != "" {
		// The pages link /static/ from the host's root.
		root.PathPrefix(templates.LogosPath).Handler(http.HandlerFunc(p.logo)).Methods(http.MethodGet, http.MethodHead)
		root.PathPrefix(PathStatic).Handler(static)
	}
	r.Handle("/", errorPages.Handle(p.home)).Methods(http.MethodGet)
	if p.opt.Dev {
		r.Handle("/dev/outbox", errorPages.Handle(p.devOutbox)).Methods(http.MethodGet)
	}
	root.NotFoundHandler = errorPages.Handle(func(w http.ResponseWriter, r *http.Request) error {
		return flows.UserError(http.StatusNotFound, "error.not_found", "error.not_found_message", nil)
	})
	root.MethodNotAllowedHandler = errorPages.Handle(func(w http.ResponseWriter, r *http.Request) error {
		return flows.UserError(http.StatusMethodNotAllowed, "Method not allowed", "This address does not accept that kind of request.", nil)
	})
	root.Use(m.middleware, p.securityHeaders, p.bufferAudit)

	return p.withRequestID(p.withAccessLog(i18n.Middleware(root)))
}

// bufferAudit writes each request's audit events in one round trip when its
// handler returns, before the response is finished.
func (p *Provider) bufferAudit(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, buf := flows.WithAuditBuffer(r.Context())
		next.ServeHTTP(w, r.WithContext(ctx))
		// The request may be over for its client; the events must still be written.
		if err := buf.Flush(context.WithoutCancel(ctx), p.opt.Store); err != nil {
			p.opt.Log.ErrorContext(ctx, "audit append failed", "error", err, "request_id", RequestID(r))
		}
	})
}

func (p *Provider) home(w http.ResponseWriter, r *http.Request) error {
	page := templates.HomePage{Page: p.page(r, ""), Issuer: p.opt.Issuer,
		DevUser: p.opt.DevUser, DevPassword: p.opt.DevPassword, DevClientID: p.opt.DevClientID, DevHints: p.opt.DevHints}
	_, user, signedIn, err := p.opt.Flows.CurrentSession(r.Context(), r)
	if err != nil {
		return err
	}
	if signedIn { // a signed-in visitor is one click from their account
		page.SignedInAs, page.AccountURL = user.Email, p.Path(flows.PathAccount)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	return p.opt.Pages.Home(w, page)
}

// devOutbox shows the notifications dev mode kept instead of sending them.
func (p *Provider) devOutbox(w http.ResponseWriter, r *http.Request) error {
	page := templates.OutboxPage{Page: p.page(r, "Outbox")}
	if p.opt.SMSOutbox != nil {
		for _, m := range p.opt.SMSOutbox.Messages() {
			page.Messages = append(page.Messages, templates.OutboxMessage{Kind: "SMS", To: m.To, Text: m.Text})
		}
	}
	if p.opt.Outbox != nil {
		for _, m := range p.opt.Outbox.Messages() {
			page.Messages = append(page.Messages, templates.OutboxMessage{Kind: "Email", To: m.To, Subject: m.Subject, Text: m.Text})
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	return p.opt.Pages.Outbox(w, page)
}

func (p *Provider) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := p.opt.Store.Ping(ctx); err != nil {
		p.opt.Log.WarnContext(ctx, "readiness check failed", "error", err)
		http.Error(w, "store unreachable\n", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	_, _ = w.Write([]byte("ready\n"))
}

func (p *Provider) securityHeaders(next http.Handler) http.Handler {
	hsts := p.issuer.Scheme == "https"
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", pageCSP)
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		if hsts {
			h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		}
		next.ServeHTTP(w, r)
	})
}

type ctxKey struct{}

var validRequestID = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// withRequestID gives every request an id: the caller's X-Request-Id when it is
// well formed, else a new one. It is logged and returned in the response.
func (p *Provider) withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if !validRequestID.MatchString(id) {
			id = randomToken(12)
		}
		w.Header().Set("X-Request-Id", id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, id)))
	})
}

// RequestID returns the request's id.
func RequestID(r *http.Request) string {
	id, _ := r.Context().Value(ctxKey{}).(string)
	return id
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// withAccessLog logs each request without its query string, which may carry codes.
func (p *Provider) withAccessLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		p.opt.Log.LogAttrs(r.Context(), slog.LevelDebug, "http request",
			slog.String("request_id", RequestID(r)), slog.String("method", r.Method),
			slog.String("path", r.URL.Path), slog.Int("status", sw.status),
			slog.Duration("duration", time.Since(start)))
	})
}

type metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lockstep_http_requests_total", Help: "HTTP requests by route, method and status.",
		}, []string{"route", "method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "lockstep_http_request_duration_seconds", Help: "HTTP request latency by route.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route"}),
	}
	reg.MustRegister(m.requests, m.duration)
	return m
}

func (m *metrics) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		route := "other"
		if cr := mux.CurrentRoute(r); cr != nil {
			if t, err := cr.GetPathTemplate(); err == nil {
				route = t
			}
		}
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		m.requests.WithLabelValues(route, r.Method, strconv.Itoa(sw.status)).Inc()
		m.duration.WithLabelValues(route).Observe(time.Since(start).Seconds())
	})
}
