package open

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

func TestOpenSQLite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "x.db")
	st, err := Open(context.Background(), "sqlite://"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if st.Backend() != "sqlite" {
		t.Fatalf("backend %s", st.Backend())
	}
}

func TestOpenRejectsUnknownScheme(t *testing.T) {
	if _, err := Open(context.Background(), "mysql://u:p@h/db"); !errors.Is(err, ErrScheme) {
		t.Fatalf("err = %v", err)
	}
}

func TestErrorsHidePassword(t *testing.T) {
	_, err := Open(context.Background(), "postgres://u:s3cr3tpass@127.0.0.1:1/db?connect_timeout=1")
	if err == nil {
		t.Fatal("connected to a closed port")
	}
	if strings.Contains(err.Error(), "s3cr3tpass") {
		t.Fatalf("password leaked: %v", err)
	}
}
