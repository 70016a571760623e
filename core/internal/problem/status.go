package problem

import "net/http"

// ForStatus is the problem for an HTTP-level failure that Fiber or
// fasthttp reports by status alone (a request that does not parse, an
// unknown method, a body or header block too large). Its detail is fixed
// by status: the parser's own message quotes the raw request, cookies
// included, so it never reaches the client.
func ForStatus(status int) *Problem {
	switch status {
	case http.StatusBadRequest:
		return New(status, BadRequest, "malformed request line/headers: the request is not valid HTTP/1.1; fix the client or proxy that sent it")
	case http.StatusNotFound:
		return New(status, NotFound, "no such route")
	case http.StatusMethodNotAllowed:
		return New(status, MethodNotAllowed, "this route does not take that method")
	case http.StatusRequestTimeout:
		return New(status, RequestTimeout, "the request was not received in time; send it again")
	case http.StatusRequestEntityTooLarge:
		return New(status, TooLarge, "the request body is larger than this server accepts")
	case http.StatusRequestHeaderFieldsTooLarge:
		return New(status, HeadersTooLarge, "the request's header block is larger than this server accepts; send fewer or smaller headers (cookies included)")
	case http.StatusUnauthorized:
		return New(status, Unauthorized, "authentication is required")
	case http.StatusForbidden:
		return New(status, Forbidden, "this request is not allowed")
	case http.StatusTooManyRequests:
		return New(status, RateLimited, "too many requests; wait and try again")
	case http.StatusServiceUnavailable:
		return New(status, Unavailable, "the server cannot handle the request right now; retry shortly")
	}
	if status >= 500 {
		return New(status, Internal, "the server failed to handle the request; the error is in the server log")
	}
	return New(status, HTTPError, "the request was refused")
}
