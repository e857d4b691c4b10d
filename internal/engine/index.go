package engine

// idIndex maps order ids to slab slots. It is an open-addressing table with
// linear probing and backward-shift deletion, so deletes leave no tombstones
// and a table sized for the working set never allocates again. Go's built-in
// map could rehash on a steady insert/delete churn; this one cannot.
type idIndex struct {
	entries []idEntry
	mask    uint64
	shift   uint
	count   int
}

// idEntry holds slot+1 so that the zero value marks an empty entry and every
// int64 stays usable as an id.
type idEntry struct {
	key  int64
	slot int32
}

// fibMul spreads sequential ids over the table (Fibonacci hashing).
const fibMul = 0x9E3779B97F4A7C15

func newIDIndex(expected int) idIndex {
	size := 16
	for size < expected*2 {
		size <<= 1
	}
	var x idIndex
	x.init(size)
	return x
}

func (x *idIndex) init(size int) {
	x.entries = make([]idEntry, size)
	x.mask = uint64(size - 1)
	x.shift = 64
	for s := size; s > 1; s >>= 1 {
		x.shift--
	}
	x.count = 0
}

func (x *idIndex) home(key int64) uint64 {
	return (uint64(key) * fibMul) >> x.shift
}

// get returns the slot of key, or -1.
func (x *idIndex) get(key int64) int32 {
	for i := x.home(key); ; i = (i + 1) & x.mask {
		e := &x.entries[i]
		if e.slot == 0 {
			return -1
		}
		if e.key == key {
			return e.slot - 1
		}
	}
}

// put inserts key, which must not be present.
func (x *idIndex) put(key int64, slot int32) {
	if (x.count+1)*2 > len(x.entries) {
		x.grow()
	}
	i := x.home(key)
	for x.entries[i].slot != 0 {
		i = (i + 1) & x.mask
	}
	x.entries[i] = idEntry{key: key, slot: slot + 1}
	x.count++
}

// del removes key and returns its slot, or -1 when absent.
func (x *idIndex) del(key int64) int32 {
	i := x.home(key)
	for {
		e := &x.entries[i]
		if e.slot == 0 {
			return -1
		}
		if e.key == key {
			break
		}
		i = (i + 1) & x.mask
	}
	slot := x.entries[i].slot - 1
	// Shift later members of the probe run back over the hole, as long as
	// that does not move one before its home position.
	for j := (i + 1) & x.mask; ; j = (j + 1) & x.mask {
		e := x.entries[j]
		if e.slot == 0 {
			break
		}
		h := x.home(e.key)
		if (j-h)&x.mask >= (j-i)&x.mask {
			x.entries[i] = e
			i = j
		}
	}
	x.entries[i] = idEntry{}
	x.count--
	return slot
}

func (x *idIndex) grow() {
	old := x.entries
	x.init(len(old) * 2)
	for _, e := range old {
		if e.slot == 0 {
			continue
		}
		i := x.home(e.key)
		for x.entries[i].slot != 0 {
			i = (i + 1) & x.mask
		}
		x.entries[i] = e
		x.count++
	}
}
