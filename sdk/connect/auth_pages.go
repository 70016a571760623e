package connect

import (
	"context"
	"fmt"
	"net/url"

	"github.com/atrium-hq/atrium/sdk/auth"
	"github.com/atrium-hq/atrium/sdk/internal/wire"
	authv1 "github.com/atrium-hq/atrium/sdk/proto/atrium/auth/v1"
)

func (a *authClient) ServePage(ctx context.Context, req auth.PageRequest) (auth.PageResponse, error) {
	resp, err := a.c.ServePage(ctx, &authv1.ServePageRequest{
		Method: req.Method, Path: req.Path, Query: valuesToProto(req.Query), Form: valuesToProto(req.Form),
		Headers: req.Headers, PagesUrl: req.PagesURL,
	})
	if err != nil {
		return auth.PageResponse{}, fromStatus(err)
	}
	if l := resp.GetLogin(); l != nil {
		return auth.PageResponse{Login: &auth.CompleteLoginResponse{
			Identity: identityFromProto(l.GetIdentity()), SessionData: l.GetSessionData(), ExpiresAt: wire.Time(l.GetExpiresAtUnixNano()),
		}, Username: resp.GetUsername()}, nil
	}
	p := resp.GetPage()
	if p == nil {
		return auth.PageResponse{}, fmt.Errorf("auth plugin answered ServePage with neither a page nor a login")
	}
	if len(p.GetBody()) > auth.MaxPageBody {
		return auth.PageResponse{}, fmt.Errorf("auth plugin's page is %d bytes, over the %d limit", len(p.GetBody()), auth.MaxPageBody)
	}
	return auth.PageResponse{Status: int(p.GetStatus()), ContentType: p.GetContentType(), Headers: p.GetHeaders(), Body: p.GetBody(), Username: resp.GetUsername()}, nil
}

func valuesToProto(v url.Values) map[string]*authv1.Values {
	out := make(map[string]*authv1.Values, len(v))
	for k, vs := range v {
		out[k] = &authv1.Values{Values: vs}
	}
	return out
}
