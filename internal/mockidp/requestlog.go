package mockidp

import "net/http"

// observe records a request in the environment's request log and checks
// it in strict mode. (Filled in by the request-log work.)
func (s *Server) observe(r *http.Request) {}
