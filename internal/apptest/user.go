package apptest

import "github.com/octopus-venue/octopus/internal/auth"

func newUser(username, role, password string) auth.NewUser {
	return auth.NewUser{Username: username, Email: username + "@example.com", Role: role,
		Password: password}
}
