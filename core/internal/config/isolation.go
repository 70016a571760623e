package config

import (
	"fmt"
	"net/url"
	"strings"
)

// CheckAppIsolation refuses an app domain that would share the core's
// origin boundary: the core's own host equal to the domain the app hosts
// sit under (every app could set cookies the core reads) or inside it
// (the core's host would be an app host's sibling, or taken for one).
// Each app needs an origin the core's cookies and API are out of reach of.
func CheckAppIsolation(publicURL, appDomain string) error {
	u, err := url.Parse(publicURL)
	if err != nil || appDomain == "" {
		return nil // the URL's own check reports it
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	domain := strings.ToLower(strings.TrimPrefix(appDomain, "*."))
	suggest := "*.apps." + host
	if _, parent, ok := strings.Cut(host, "."); ok && strings.Contains(parent, ".") {
		suggest = "*.apps." + parent
	}
	switch {
	case host == domain:
		return fmt.Errorf("app_domain %q puts every app under the core's own host %q (public_url), where an app can set cookies the core reads; give apps a domain of their own, such as %q", appDomain, host, suggest)
	case strings.HasSuffix(host, "."+domain):
		return fmt.Errorf("the core's host %q (public_url) lies inside app_domain %q, so it shares the apps' cookies and could be taken for an app's host; give apps a domain of their own, such as %q", host, appDomain, suggest)
	}
	return nil
}
