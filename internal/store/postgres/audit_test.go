package postgres_test

import (
	"testing"

	"github.com/octopus-venue/octopus/internal/store"
	"github.com/octopus-venue/octopus/internal/store/storetest"
)

func TestAuditContract(t *testing.T) {
	storetest.RunAudit(t, func(t *testing.T) store.AuditStore { return newStore(t) })
}
