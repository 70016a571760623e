package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/atrium-hq/atrium/core/internal/problem"
)

// nulEscape is how a NUL reaches a JSON string: raw control characters
// are already invalid JSON.
var nulEscape = []byte(`\u0000`)

// nulProblem refuses a body with a NUL character in a string, naming where
// it sits. PostgreSQL cannot store NUL in text, and a name with one
// would look different in every place that shows it.
func nulProblem(body []byte) *problem.Problem {
	if !bytes.Contains(body, nulEscape) {
		return nil
	}
	field, ok := nulField(body)
	if !ok {
		return nil
	}
	p := problem.New(http.StatusBadRequest, problem.BadRequest, `the body has a NUL character (\u0000) in a string; remove it`)
	p.Errors = []problem.FieldError{{Field: field, Detail: `must not contain the NUL character (\u0000)`}}
	return p
}

// jsonFrame is one open object or array while walking a JSON body.
type jsonFrame struct {
	object  bool
	key     string // the object's current key
	wantKey bool   // the object's next string is a key
	index   int    // the array's current index
}

// nulField returns the path ("members[2].name") of the first key or
// string value in body holding a NUL, and whether there is one. A body
// that is not JSON has none: decoding it fails on its own.
func nulField(body []byte) (string, bool) {
	dec := json.NewDecoder(bytes.NewReader(body))
	var stack []jsonFrame
	valueDone := func() {
		if n := len(stack); n > 0 {
			if stack[n-1].object {
				stack[n-1].wantKey = true
			} else {
				stack[n-1].index++
			}
		}
	}
	for {
		tok, err := dec.Token()
		if err != nil {
			return "", false
		}
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{':
				stack = append(stack, jsonFrame{object: true, wantKey: true})
			case '[':
				stack = append(stack, jsonFrame{})
			default:
				stack = stack[:len(stack)-1]
				valueDone()
			}
		case string:
			isKey := len(stack) > 0 && stack[len(stack)-1].object && stack[len(stack)-1].wantKey
			if isKey {
				stack[len(stack)-1].key, stack[len(stack)-1].wantKey = v, false
			}
			if strings.IndexByte(v, 0) >= 0 {
				return jsonPath(stack), true
			}
			if !isKey {
				valueDone()
			}
		default:
			valueDone()
		}
	}
}

// jsonPath names the current position of a walk.
func jsonPath(stack []jsonFrame) string {
	var b strings.Builder
	for _, f := range stack {
		if f.object {
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			// A key holding the NUL itself is shown with it escaped.
			b.WriteString(strings.ReplaceAll(f.key, "\x00", `\u0000`))
		} else {
			b.WriteString("[" + strconv.Itoa(f.index) + "]")
		}
	}
	if b.Len() == 0 {
		return "body"
	}
	return b.String()
}
