package engine

// idIndex maps order ids to slab slots. It is an open-addressing table with
// linear probing and backward-shift deletion, so deletes leave no tombstones
// and a table sized for the working set never allocates again (Go's built-in
// map may rehash under steady insert/delete churn).
//
// An entry is 8 bytes: the upper 32 bits of the id's hash (the tag) and the
// slot+1 (0 marks an empty entry). The id itself is confirmed against the
// node, which a lookup reads anyway, so the table stays half the size of a
// key/value table and more of it stays in cache.
type idIndex struct {
	entries []uint64
	mask    uint64
	bits    uint // log2(len(entries)), at most 32
	count   int
}

// fibMul spreads sequential ids over the table (Fibonacci hashing).
const fibMul = 0x9E3779B97F4A7C15

func newIDIndex(expected int) idIndex {
	var x idIndex
	x.init(tableSize(expected))
	return x
}

// tableSize returns the power of two that keeps n entries at most half full.
func tableSize(n int) int {
	size := 16
	for size < n*2 {
		size <<= 1
	}
	return size
}

func (x *idIndex) init(size int) {
	x.entries = make([]uint64, size)
	x.mask = uint64(size - 1)
	x.bits = 0
	for s := size; s > 1; s >>= 1 {
		x.bits++
	}
	x.count = 0
}

// tag is the upper half of the id's hash; its top bits are the home slot.
func tag(key int64) uint64 {
	return (uint64(key) * fibMul) >> 32
}

func (x *idIndex) home(t uint64) uint64 {
	return t >> (32 - x.bits)
}

// find returns the table position of key, or -1.
func (x *idIndex) find(key int64, nodes []node) int {
	t := tag(key)
	for i := x.home(t); ; i = (i + 1) & x.mask {
		e := x.entries[i]
		if e == 0 {
			return -1
		}
		if e>>32 == t && nodes[uint32(e)-1].id == key {
			return int(i)
		}
	}
}

// get returns the slot of key, or -1.
func (x *idIndex) get(key int64, nodes []node) int32 {
	if i := x.find(key, nodes); i >= 0 {
		return int32(uint32(x.entries[i]) - 1)
	}
	return -1
}

// put inserts key, which must not be present.
func (x *idIndex) put(key int64, slot int32) {
	if (x.count+1)*2 > len(x.entries) {
		x.grow()
	}
	t := tag(key)
	i := x.home(t)
	for x.entries[i] != 0 {
		i = (i + 1) & x.mask
	}
	x.entries[i] = t<<32 | uint64(slot+1)
	x.count++
}

// del removes key, which must be present.
func (x *idIndex) del(key int64, nodes []node) {
	i := uint64(x.find(key, nodes))
	// Shift later members of the probe run back over the hole, as long as
	// that does not move one before its home position.
	for j := (i + 1) & x.mask; ; j = (j + 1) & x.mask {
		e := x.entries[j]
		if e == 0 {
			break
		}
		h := x.home(e >> 32)
		if (j-h)&x.mask >= (j-i)&x.mask {
			x.entries[i] = e
			i = j
		}
	}
	x.entries[i] = 0
	x.count--
}

func (x *idIndex) grow() {
	old := x.entries
	x.init(len(old) * 2)
	for _, e := range old {
		if e == 0 {
			continue
		}
		i := x.home(e >> 32)
		for x.entries[i] != 0 {
			i = (i + 1) & x.mask
		}
		x.entries[i] = e
		x.count++
	}
}
