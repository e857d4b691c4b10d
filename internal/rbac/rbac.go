// Package rbac holds the four roles of the venue and their fixed permissions. The
// table is the specification's, exactly; it is code, not configuration, so a
// deployment cannot widen a role by accident.
package rbac

import "slices"

// Permission is one right a route can require.
type Permission string

// The permissions of the specification.
const (
	Read            Permission = "read"
	Write           Permission = "write"
	Delete          Permission = "delete"
	ManageUsers     Permission = "manage_users"
	SystemAdmin     Permission = "system_admin"
	Trade           Permission = "trade"
	PortfolioManage Permission = "portfolio_manage"
	Analyze         Permission = "analyze"
	Report          Permission = "report"
)

// Role names.
const (
	Admin   = "admin"
	Trader  = "trader"
	Analyst = "analyst"
	User    = "user"
)

var table = map[string][]Permission{
	Admin:   {Read, Write, Delete, ManageUsers, SystemAdmin},
	Trader:  {Read, Write, Trade, PortfolioManage},
	Analyst: {Read, Analyze, Report},
	User:    {Read},
}

// Roles lists the role names in a stable order.
func Roles() []string { return []string{Admin, Trader, Analyst, User} }

// ValidRole reports whether name is one of the four roles.
func ValidRole(name string) bool {
	_, ok := table[name]
	return ok
}

// Permissions returns a copy of a role's permissions; nil for an unknown role.
func Permissions(role string) []Permission {
	return slices.Clone(table[role])
}

// Has reports whether role grants p. Unknown roles grant nothing.
func Has(role string, p Permission) bool {
	return slices.Contains(table[role], p)
}

// ValidPermission reports whether p is a known permission.
func ValidPermission(p Permission) bool {
	for _, perms := range table {
		if slices.Contains(perms, p) {
			return true
		}
	}
	return false
}

// Subset reports whether every scope is granted by role, which is how an API key's
// scopes are kept inside its owner's rights.
func Subset(role string, scopes []Permission) bool {
	for _, s := range scopes {
		if !Has(role, s) {
			return false
		}
	}
	return true
}
