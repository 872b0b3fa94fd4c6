package mockserver

import (
	"crypto/subtle"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// Signing in (CONTRACT §6.1): GET /1/login and GET /1/logout check the
// caller's credentials and do nothing else, as the 2016 server's code did
// (CredentialsResource.java at a049f2de, lines 83-95: both routes call
// SpaceContext.checkUserCredentials and answer JsonPayload.success()).

// signsIn reports whether an operation is signing in, whose credentials
// check (checkSignIn) is its own: where run's generic check answers an
// anonymous caller 401, these routes answer 403 (AUTH-3).
func signsIn(op string) bool { return op == "login" || op == "logout" }

// checkSignIn checks the credentials of a call that signs in, in run's
// place for the generic check: 401 to a malformed Authorization (AUTH-2),
// 403 to none (AUTH-3), and, where the mock enforces users, 401 to a wrong
// password (AUTH-2).
func (s *Server) checkSignIn(who http.Header, backend string) (response, bool) {
	user, _, problem := decodeAuthorization(who.Get("Authorization"))
	switch {
	case problem != nil:
		return s.dialect.signIn.malformed(*problem), false
	case user == "":
		return s.dialect.signIn.anonymous(), false
	case s.cfg.Users != nil:
		return s.authenticate(who, backend)
	}
	return response{}, true
}

// authenticate checks a request's Basic credentials against the users the
// mock enforces: without valid ones, a 401 (for a batch item, in place).
func (s *Server) authenticate(h http.Header, backend string) (response, bool) {
	user, password, ok := basicAuth(h)
	want := s.cfg.Users[user]
	switch {
	case !ok:
		return s.dialect.failure(http.StatusUnauthorized, "credentials required: send the Basic credentials of a user"), false
	case want == "" || subtle.ConstantTimeCompare([]byte(want), []byte(password)) != 1: // no timing oracle
		return s.dialect.failure(http.StatusUnauthorized, "%s", s.dialect.signIn.invalid(user, backend)), false
	}
	return response{}, true
}

// login answers GET /1/login and GET /1/logout alike, once run has
// checked the caller's credentials: there is nothing else to do.
func (s *Server) login(*call) response { return done() }

// authProblem is what is wrong with an Authorization header, in the words
// of SpaceContext.decodeAuthorizationHeader (SpaceContext.java at
// a049f2de, lines 223-261); cause is the base 64 decoder's own message.
type authProblem struct {
	message string
	cause   string
}

// decodeAuthorization reads an Authorization header as the 2016 server
// did: none or empty is no credentials (user ""); otherwise a scheme, one
// space, and a Basic token that decodes to user:password, both non-empty.
func decodeAuthorization(value string) (user, password string, problem *authProblem) {
	if value == "" { // :225-226
		return "", "", nil
	}
	scheme, token, ok := strings.Cut(value, " ")
	switch {
	case !ok: // :230-231
		return "", "", &authProblem{message: "invalid authorization header"}
	case scheme == "": // :233-234
		return "", "", &authProblem{message: "no authorization scheme specified"}
	case !strings.EqualFold(scheme, "Basic"): // :236-237
		return "", "", &authProblem{message: fmt.Sprintf("authorization scheme [%s] not supported", scheme)}
	}
	decoded, cause := javaBase64(token)
	if cause != "" { // :243-247
		return "", "", &authProblem{message: "authorization token is not base 64 encoded", cause: cause}
	}
	user, password, ok = strings.Cut(string(decoded), ":")
	switch {
	case !ok: // :249-252
		return "", "", &authProblem{message: "invalid authorization token"}
	case user == "": // :254-255
		return "", "", &authProblem{message: "no username specified"}
	case password == "": // :257-258
		return "", "", &authProblem{message: "no password specified"}
	}
	return user, password, nil
}

// javaBase64 decodes as java.util.Base64.getDecoder().decode(byte[]) of
// Java 8 did, which the 2016 server called: the RFC 4648 alphabet, padding
// optional; on failure, the IllegalArgumentException's message.
func javaBase64(s string) ([]byte, string) {
	src := []byte(s)
	if len(src) == 0 {
		return nil, ""
	}
	if len(src) < 2 {
		return nil, "Input byte[] should at least have 2 bytes for base64 bytes"
	}
	var out []byte
	bits, shift, sp := 0, 18, 0
	for sp < len(src) {
		c := src[sp]
		sp++
		v := strings.IndexByte(base64Alphabet, c)
		if c == '=' {
			// "=" where no padding can be, or "xx=" not followed by "=".
			if shift == 6 && (sp == len(src) || func() bool { sp++; return src[sp-1] != '=' }()) || shift == 18 {
				return nil, "Input byte array has wrong 4-byte ending unit"
			}
			break
		}
		if v < 0 {
			// Java prints the byte, signed, in hexadecimal.
			return nil, "Illegal base64 character " + strconv.FormatInt(int64(int8(c)), 16)
		}
		bits |= v << shift
		shift -= 6
		if shift < 0 {
			out = append(out, byte(bits>>16), byte(bits>>8), byte(bits))
			shift, bits = 18, 0
		}
	}
	switch shift {
	case 6:
		out = append(out, byte(bits>>16))
	case 0:
		out = append(out, byte(bits>>16), byte(bits>>8))
	case 12:
		return nil, "Last unit does not have enough valid bits"
	}
	if sp < len(src) { // Java names the index of the first byte left
		return nil, "Input byte array has incorrect ending byte at " + strconv.Itoa(sp)
	}
	return out, ""
}

const base64Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

// signInWords are a profile's refusals of a login.
type signInWords struct {
	malformed func(authProblem) response        // 401 (AUTH-2)
	anonymous func() response                   // 403 (AUTH-3)
	invalid   func(user, backend string) string // a wrong password's 401 message (AUTH-2)
}

// docSignIn words the refusals in the doc profile's envelope.
func docSignIn(d dialect) signInWords {
	return signInWords{
		malformed: func(a authProblem) response {
			msg := "Authorization header: " + a.message
			if a.cause != "" {
				msg += " (" + a.cause + ")"
			}
			return d.failure(http.StatusUnauthorized, "%s", msg)
		},
		anonymous: func() response {
			return d.failure(http.StatusForbidden, "credentials required: signing in needs the Basic credentials of a user")
		},
		invalid: func(user, _ string) string { return fmt.Sprintf("invalid credentials for user [%s]", user) },
	}
}

// signIn2016 words them as the 2016 server did. Its filter and its error
// filter turned the exceptions into envelopes by JsonPayload.error(t)
// (JsonPayload.java at a049f2de, lines 34-65): the class, the message, and
// the cause's class and message (Json.java, lines 303-320).
var signIn2016 = signInWords{
	malformed: func(a authProblem) response {
		e := &causedError{Type: authenticationException, Message: a.message}
		if a.cause != "" {
			e.Cause = &causedError{Type: "java.lang.IllegalArgumentException", Message: a.cause}
		}
		return response{status: http.StatusUnauthorized, body: encode(causedEnvelope{Status: http.StatusUnauthorized, Error: e})}
	},
	// SpaceContext.java :35 and Credentials.java :41-44: no header leaves
	// the caller a KEY named "default" (:82-84), whom checkUserCredentials
	// refuses (SpaceContext.java :159-164, Exceptions.java :45-48).
	anonymous: func() response {
		return failureOf(http.StatusForbidden, "io.spacedog.utils.ForbiddenException", "[KEY][default] has insufficient credentials")
	},
	// SpaceContext.java :209-218: an unknown user and a wrong password alike.
	invalid: func(_, backend string) string {
		return fmt.Sprintf("invalid username or password for backend [%s]", backend)
	},
}

const authenticationException = "io.spacedog.utils.AuthenticationException"

// causedEnvelope is the 2016 error envelope with the exception's cause.
type causedEnvelope struct {
	Success bool         `json:"success"`
	Status  int          `json:"status"`
	Error   *causedError `json:"error"`
}

type causedError struct {
	Type    string       `json:"type"`
	Message string       `json:"message"`
	Cause   *causedError `json:"cause,omitempty"`
}
