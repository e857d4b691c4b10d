package config

import (
	"strings"
	"testing"
)

func TestOwnerLockURL(t *testing.T) {
	const pg = "postgres://octopus@db:5432/octopus"
	tests := []struct {
		name    string
		vars    map[string]string
		want    string
		wantErr string
	}{
		{name: "defaults to DATABASE_URL", vars: map[string]string{"DATABASE_URL": pg}, want: pg},
		{name: "sqlite", vars: map[string]string{"DATABASE_URL": "sqlite://x.db"}, want: "sqlite://x.db"},
		{
			name: "own route to the same database",
			vars: map[string]string{"DATABASE_URL": "postgres://octopus@pgbouncer:6432/octopus",
				"OWNER_LOCK_DATABASE_URL": pg},
			want: pg,
		},
		{
			name:    "not with sqlite",
			vars:    map[string]string{"DATABASE_URL": "sqlite://x.db", "OWNER_LOCK_DATABASE_URL": pg},
			wantErr: "applies to PostgreSQL only",
		},
		{
			name: "must be postgres",
			vars: map[string]string{"DATABASE_URL": pg,
				"OWNER_LOCK_DATABASE_URL": "sqlite://x.db"},
			wantErr: "must be a postgres:// URL",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(env(tt.vars))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := c.OwnerLockURL(); got != tt.want {
				t.Errorf("OwnerLockURL() = %q, want %q", got, tt.want)
			}
		})
	}
}
