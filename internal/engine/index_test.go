package engine

import (
	"math/rand/v2"
	"testing"
)

// TestIDIndexAgainstMap churns the id table through inserts, deletes and
// growth and checks every lookup against a plain map.
func TestIDIndexAgainstMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	nodes := make([]node, 0, 4096)
	x := newIDIndex(1)
	want := map[int64]int32{}
	var live []int64
	for step := range 200000 {
		if len(live) > 0 && rng.IntN(100) < 45 {
			k := rng.IntN(len(live))
			id := live[k]
			live[k] = live[len(live)-1]
			live = live[:len(live)-1]
			x.del(id, nodes)
			delete(want, id)
		} else {
			// Narrow id range: many ids share home slots and probe runs.
			id := rng.Int64N(50000) - 25000
			if _, dup := want[id]; dup {
				continue
			}
			nodes = append(nodes, node{id: id})
			slot := int32(len(nodes) - 1)
			x.put(id, slot)
			want[id] = slot
			live = append(live, id)
		}
		if step%997 == 0 {
			for id, slot := range want {
				if got := x.get(id, nodes); got != slot {
					t.Fatalf("step %d: get(%d) = %d, want %d", step, id, got, slot)
				}
			}
			if x.count != len(want) {
				t.Fatalf("step %d: count %d, want %d", step, x.count, len(want))
			}
		}
	}
	for id := int64(-25000); id < 25000; id++ {
		_, ok := want[id]
		if got := x.get(id, nodes); (got >= 0) != ok {
			t.Fatalf("get(%d) = %d, present %v", id, got, ok)
		}
	}
}

// TestLevelIndexAgainstMap does the same for the price-to-level table.
func TestLevelIndexAgainstMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	x := newLevelIndex(1)
	want := map[int64]int32{}
	for step := range 100000 {
		key := rng.Int64N(4000) - 2000
		if lvl, ok := want[key]; ok {
			if got := x.get(key); got != lvl {
				t.Fatalf("step %d: get(%d) = %d, want %d", step, key, got, lvl)
			}
			x.del(key)
			delete(want, key)
			continue
		}
		if got := x.get(key); got != -1 {
			t.Fatalf("step %d: get(%d) = %d for absent key", step, key, got)
		}
		x.put(key, int32(step))
		want[key] = int32(step)
	}
	if x.count != len(want) {
		t.Fatalf("count %d, want %d", x.count, len(want))
	}
}
