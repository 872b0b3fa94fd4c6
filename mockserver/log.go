package mockserver

import "log/slog"

// log writes one line for the request, with a batch's sub-request statuses.
func (s *Server) log(e Entry) {
	if s.cfg.Logger == nil {
		return
	}
	attrs := []slog.Attr{
		slog.String("method", e.Method), slog.String("path", e.Path), slog.Int("status", e.Status),
		slog.Float64("ms", e.DurationMs), slog.String("backend", e.Backend), slog.String("user", e.User),
	}
	if e.Query != "" {
		attrs = append(attrs, slog.String("query", e.Query))
	}
	if e.SubRequests != nil {
		statuses := make([]int, len(e.SubRequests))
		for i, sub := range e.SubRequests {
			statuses[i] = sub.Status
		}
		attrs = append(attrs, slog.Any("subStatuses", statuses))
	}
	if e.Dropped {
		attrs = append(attrs, slog.Bool("dropped", true))
	}
	s.cfg.Logger.LogAttrs(nil, slog.LevelInfo, "request", attrs...)
}
