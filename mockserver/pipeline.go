package mockserver

import "net/http"

var _ http.Handler = (*Server)(nil)

// stage is a step on a request's way through the mock: it answers the
// request, which ends its way, or lets it go on to the next stage.
type stage func(w http.ResponseWriter, r *http.Request) (answered bool)

// pipeline is the way of every request, in the order it goes: a new
// stage is a new line here.
func (s *Server) pipeline() []stage {
	return []stage{
		s.checkHost,           // host.go: a Host of this machine or allowed (DNS rebinding)
		s.cors.preflight,      // cors.go: a CORS preflight answered; never for the admin routes
		s.cors.decorate,       // cors.go: an API reply marked readable by an allowed origin
		s.guardAdmin,          // guard.go: the admin routes for no other origin; the token
		s.admin,               // admin.go: the /_mock/ routes
		s.refuseForeignWrites, // guard.go: no write from a page CORS does not allow
		s.api,                 // api.go: the API, journaled: faults, then dispatch or the proxy
	}
}

// ServeHTTP takes a request through the pipeline.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	for _, stage := range s.stages {
		if stage(w, r) {
			return
		}
	}
}
