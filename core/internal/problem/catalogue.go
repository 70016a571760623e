package problem

// Base prefixes every problem type URI.
const Base = "https://atrium.dev/problems/"

// Type is one stable kind of failure clients may switch on. Types exist
// only as the values below: a new kind of failure is added here, where
// the catalogue test pins every URI.
type Type struct{ slug string }

// URI is the type's identifier in problem bodies.
func (t Type) URI() string { return Base + t.slug }

// HTTP-level failures (ForStatus) and the framing check.
var (
	BadRequest       = Type{"bad-request"}
	NotFound         = Type{"not-found"}
	MethodNotAllowed = Type{"method-not-allowed"}
	RequestTimeout   = Type{"request-timeout"}
	TooLarge         = Type{"too-large"}
	HeadersTooLarge  = Type{"headers-too-large"}
	Unauthorized     = Type{"unauthorized"}
	Forbidden        = Type{"forbidden"}
	RateLimited      = Type{"rate-limited"}
	Unavailable      = Type{"unavailable"}
	Internal         = Type{"internal"}
	HTTPError        = Type{"http-error"}
	// BadFraming: Content-Length and Transfer-Encoding leave the body's
	// length ambiguous.
	BadFraming = Type{"bad-framing"}
	// BadHost: several Host fields, or one that differs from the
	// authority of an absolute-form target.
	BadHost = Type{"bad-host"}
)

// The API's failures.
var (
	AlreadySetUp    = Type{"already-set-up"}
	AppUnreachable  = Type{"app-unreachable"}
	AppsUnavailable = Type{"apps-unavailable"}
	BadOrigin       = Type{"bad-origin"}
	CannotAdopt     = Type{"cannot-adopt"}
	Conflict        = Type{"conflict"}
	CSRF            = Type{"csrf"}
	// DatabaseUnavailable: the core cannot reach PostgreSQL; nothing was
	// done, retry after the Retry-After seconds.
	DatabaseUnavailable = Type{"database-unavailable"}
	Draining            = Type{"draining"}
	EventsUnavailable   = Type{"events-unavailable"}
	HomeInUse           = Type{"home-in-use"}
	Invalid             = Type{"invalid"}
	InvalidCursor       = Type{"invalid-cursor"}
	InvalidName         = Type{"invalid-name"}
	InvalidState        = Type{"invalid-state"}
	LoginFailed         = Type{"login-failed"}
	LoginRequired       = Type{"login-required"}
	LoginThrottled      = Type{"login-throttled"}
	NotAnApp            = Type{"not-an-app"}
	NotOwner            = Type{"not-owner"}
	NotReady            = Type{"not-ready"}
	NotRunning          = Type{"not-running"}
	OwnerNotMember      = Type{"owner-not-member"}
	QuotaExceeded       = Type{"quota-exceeded"}
	ReadOnlyKey         = Type{"read-only-key"}
	RelayUnavailable    = Type{"relay-unavailable"}
	SetupToken          = Type{"setup-token"}
	Unauthenticated     = Type{"unauthenticated"}
)

// Single sign-on's failures.
var (
	BadNext          = Type{"bad-next"}
	LoginRefused     = Type{"login-refused"}
	LoginUnavailable = Type{"login-unavailable"}
)

// The relay's refusals.
var (
	RelayNotWebSocket      = Type{"relay-not-websocket"}
	RelayOrigin            = Type{"relay-origin"}
	RelaySubprotocol       = Type{"relay-subprotocol"}
	RelayTicketMissing     = Type{"relay-ticket-missing"}
	RelayTicketInvalid     = Type{"relay-ticket-invalid"}
	RelayTicketSession     = Type{"relay-ticket-session"}
	RelaySessionRestarted  = Type{"relay-session-restarted"}
	RelaySessionNotRunning = Type{"relay-session-not-running"}
	RelayUpstream          = Type{"relay-upstream"}
	RelayUpstreamBusy      = Type{"relay-upstream-busy"}
	RelayTicketStore       = Type{"relay-ticket-store"}
	RelayHandshake         = Type{"relay-handshake"}
	RelayUserLimit         = Type{"relay-user-limit"}
	RelayRateLimited       = Type{"relay-rate-limited"}
	RelayTicketRateLimited = Type{"relay-ticket-rate-limited"}
	RelayServerLimit       = Type{"relay-server-limit"}
)

// The app proxy's refusals.
var (
	NoSuchApp        = Type{"no-such-app"}
	AppUnauthed      = Type{"app-unauthenticated"}
	AppToken         = Type{"app-token"}
	AppBusy          = Type{"app-busy"}
	BadRequestTarget = Type{"bad-request-target"}
	AppWebSocket     = Type{"app-websocket"}
	CrossOrigin      = Type{"cross-origin"}
	AppUnavailable   = Type{"app-unavailable"}
)

// String is the type's slug, for logs.
func (t Type) String() string { return t.slug }
