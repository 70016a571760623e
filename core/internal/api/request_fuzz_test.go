package api

import (
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"
)

// FuzzDecodeBody: any request body either decodes into the endpoint's
// struct or is a 400 problem; a decoded string never holds a NUL (the
// database refuses them) and an unknown field is never silently taken.
func FuzzDecodeBody(f *testing.F) {
	for _, s := range []string{`{"name":"a","size":1,"tags":["x"]}`, `{"name":"a\u0000"}`, `{"nmae":"a"}`, `{"name":1}`, `[`, `{"name":"a"} trailing`, ""} {
		f.Add([]byte(s))
	}
	app := fiber.New()
	f.Fuzz(func(t *testing.T, body []byte) {
		var rc fasthttp.RequestCtx
		c := app.AcquireCtx(&rc)
		defer app.ReleaseCtx(c)
		c.Request().SetBody(body)
		var v struct {
			Name string   `json:"name"`
			Size int      `json:"size"`
			Tags []string `json:"tags"`
		}
		err := decodeBody(c, &v)
		if err != nil {
			return
		}
		if strings.ContainsRune(v.Name, 0) {
			t.Fatalf("decoded a NUL from %q", body)
		}
		for _, s := range v.Tags {
			if strings.ContainsRune(s, 0) {
				t.Fatalf("decoded a NUL from %q", body)
			}
		}
	})
}
