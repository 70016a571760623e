package api

import (
	"bytes"
	"encoding/json"
	"strconv"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/atrium-hq/atrium/core/internal/store"
)

// decodeBody reads a JSON body into v, refusing unknown fields so a typo
// in a field name is an error rather than silently ignored, and NUL
// characters in strings, which the database cannot store.
func decodeBody(c *fiber.Ctx, v any) error {
	if p := nulProblem(c.Body()); p != nil {
		return p
	}
	dec := json.NewDecoder(bytes.NewReader(c.Body()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return badRequest("the body is not the JSON this endpoint takes: " + err.Error())
	}
	return nil
}

// pathID parses a UUID path parameter. A malformed id names no object, so
// it is a 404 like any other unknown id.
func pathID(c *fiber.Ctx, name string) (uuid.UUID, error) {
	id, err := uuid.Parse(c.Params(name))
	if err != nil {
		return uuid.Nil, notFound("no such " + name + ": ids are UUIDs")
	}
	return id, nil
}

// queryID parses an optional UUID query parameter.
func queryID(c *fiber.Ctx, name string) (*uuid.UUID, error) {
	v := c.Query(name)
	if v == "" {
		return nil, nil
	}
	id, err := uuid.Parse(v)
	if err != nil {
		return nil, invalidField(name, "must be a UUID")
	}
	return &id, nil
}

// page reads ?limit=&cursor=.
func page(c *fiber.Ctx) (store.Page, error) {
	p := store.Page{Cursor: c.Query("cursor")}
	if l := c.Query("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 {
			return p, invalidField("limit", "must be a positive integer")
		}
		p.Limit = n
	}
	return p, nil
}

// list is the shape of every list response.
type list[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}

func listOf[S, T any](items []S, next string, view func(S) T) list[T] {
	out := list[T]{Items: make([]T, 0, len(items)), NextCursor: next}
	for _, it := range items {
		out.Items = append(out.Items, view(it))
	}
	return out
}
