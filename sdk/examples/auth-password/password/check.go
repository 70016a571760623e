package password

import (
	"golang.org/x/crypto/bcrypt"

	"github.com/atrium-hq/atrium/sdk/auth"
)

// decoyHash is compared against for unknown usernames, so a wrong name
// costs as long as a wrong password and does not reveal which names exist.
var decoyHash, _ = bcrypt.GenerateFromPassword([]byte("decoy"), bcrypt.DefaultCost)

// check returns the identity of username when password matches its hash.
func check(c *config, issuer, username, password string) (auth.Identity, bool) {
	a, known := c.Users[username]
	hash := []byte(a.PasswordHash)
	if !known {
		hash = decoyHash
	}
	if bcrypt.CompareHashAndPassword(hash, []byte(password)) != nil || !known {
		return auth.Identity{}, false
	}
	return auth.Identity{
		Issuer: issuer, Subject: username, Username: username,
		Email: a.Email, Name: a.Name, Groups: a.Groups,
	}, true
}
