package mockserver

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/spacedog-oss/batchkit/mockserver/internal/store"
)

// The data API's operations (CONTRACT §6). The spec has validated the
// request already: parameters have their types, the payload is an object.

func (s *Server) listAllObjects(c *call) response { return s.list(c, "") }

func (s *Server) listObjects(c *call) response { return s.list(c, c.params["type"]) }

func (s *Server) list(c *call, typ string) response {
	from, err := s.intParam(c, "from", 0)
	if err != nil {
		return *err
	}
	size, err := s.intParam(c, "size", 10)
	if err != nil {
		return *err
	}
	start := time.Now()
	total, page, lerr := s.store.Backend(c.backend).List(typ, int(from), int(size))
	if lerr != nil {
		return s.storeFailure(lerr)
	}
	b := make([]byte, 0, 64+len(page)*256)
	b = append(b, `{"total":`...)
	b = strconv.AppendInt(b, int64(total), 10)
	b = append(b, `,"results":[`...)
	for i, o := range page {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendObject(b, o)
	}
	b = append(b, ']')
	if s.dialect.took {
		b = append(b, `,"took":`...)
		b = strconv.AppendInt(b, time.Since(start).Milliseconds(), 10)
	}
	return response{status: http.StatusOK, body: append(b, '}')}
}

func (s *Server) createObject(c *call) response {
	o, err := s.store.Backend(c.backend).Create(c.params["type"], c.query.Get("id"), c.payload, c.user, s.now, s.dialect.overwrite)
	if err != nil {
		return s.storeFailure(err)
	}
	return s.saved(c, o, s.spec.Wire.Created)
}

func (s *Server) getObject(c *call) response {
	o, err := s.store.Backend(c.backend).Get(c.params["type"], c.params["id"])
	if errors.Is(err, store.ErrNotFound) && s.dialect.bareMissing {
		return response{status: http.StatusNotFound, body: encode(envelope{Status: http.StatusNotFound})}
	}
	if err != nil {
		return s.storeFailure(err)
	}
	return response{status: http.StatusOK, body: appendObject(make([]byte, 0, len(o.FieldsJSON())+200), o)}
}

func (s *Server) updateObject(c *call) response {
	version, ferr := s.intParam(c, "version", 0)
	if ferr != nil {
		return *ferr
	}
	strict, _ := strconv.ParseBool(c.query.Get("strict")) // validated: absent means false
	o, err := s.store.Backend(c.backend).Update(c.params["type"], c.params["id"], c.payload,
		strict, version, c.user, s.now)
	if err != nil {
		return s.storeFailure(err)
	}
	return s.saved(c, o, http.StatusOK)
}

func (s *Server) deleteObject(c *call) response {
	typ, id := c.params["type"], c.params["id"]
	err := s.store.Backend(c.backend).Delete(typ, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return s.dialect.missingDelete(typ, id, err)
	case err != nil:
		return s.storeFailure(err)
	}
	return done()
}

func (s *Server) deleteObjects(c *call) response {
	n, err := s.store.Backend(c.backend).DeleteType(c.params["type"])
	if err != nil {
		return s.storeFailure(err)
	}
	if s.dialect.totalDeleted {
		return response{status: http.StatusOK, body: encode(deleted{Success: true, Status: http.StatusOK, TotalDeleted: n})}
	}
	return done()
}

type deleted struct {
	Success      bool `json:"success"`
	Status       int  `json:"status"`
	TotalDeleted int  `json:"totalDeleted"`
}

func (s *Server) deleteAllObjects(c *call) response {
	if s.dialect.deleteAll != nil {
		return s.dialect.deleteAll()
	}
	s.store.Backend(c.backend).DeleteAll()
	return done()
}

// now is the clock at millisecond precision, the precision meta shows.
func (s *Server) now() time.Time { return s.cfg.Now().UTC().Truncate(time.Millisecond) }

// intParam reads an integer query parameter the spec has validated; a value
// out of int64 range still fails here.
func (s *Server) intParam(c *call, name string, def int64) (int64, *response) {
	v := c.query.Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		res := s.dialect.failure(http.StatusBadRequest, "query parameter [%s]: not a non-negative integer: %s", name, v)
		return 0, &res
	}
	return n, nil
}

func (s *Server) storeFailure(err error) response {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return s.dialect.failure(http.StatusNotFound, "%v", err)
	case errors.Is(err, store.ErrConflict):
		return s.dialect.failure(http.StatusConflict, "%v", err)
	default:
		return s.dialect.failure(http.StatusInternalServerError, "%v", err)
	}
}

// saved is the reply to a create or an update (DATA-2).
func (s *Server) saved(c *call, o *store.Object, status int) response {
	location := c.base + "/1/data/" + o.Type + "/" + o.ID
	res := response{status: status, body: appendSaved(make([]byte, 0, 128+len(location)), status, o.ID, o.Type, location, o.Version)}
	if s.dialect.objectIDHeader {
		res.header = http.Header{"X-Spacedog-Object-Id": {o.ID}}
	}
	return res
}
