package rbac

import "testing"

func TestTableIsTheSpecification(t *testing.T) {
	want := map[string][]Permission{
		Admin:   {Read, Write, Delete, ManageUsers, SystemAdmin},
		Trader:  {Read, Write, Trade, PortfolioManage},
		Analyst: {Read, Analyze, Report},
		User:    {Read},
	}
	all := []Permission{Read, Write, Delete, ManageUsers, SystemAdmin, Trade,
		PortfolioManage, Analyze, Report}
	for role, perms := range want {
		for _, p := range all {
			granted := false
			for _, q := range perms {
				granted = granted || q == p
			}
			if Has(role, p) != granted {
				t.Errorf("Has(%s, %s) = %v, want %v", role, p, !granted, granted)
			}
		}
	}
	if Has("root", Read) || ValidRole("root") {
		t.Error("unknown role grants permissions")
	}
}

func TestSubset(t *testing.T) {
	tests := []struct {
		name   string
		role   string
		scopes []Permission
		want   bool
	}{
		{"trader trade", Trader, []Permission{Read, Trade}, true},
		{"trader admin", Trader, []Permission{ManageUsers}, false},
		{"user read", User, []Permission{Read}, true},
		{"user write", User, []Permission{Write}, false},
	}
	for _, tt := range tests {
		if got := Subset(tt.role, tt.scopes); got != tt.want {
			t.Errorf("%s: Subset = %v, want %v", tt.name, got, tt.want)
		}
	}
}
