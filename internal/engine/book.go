package engine

import "fmt"

// nilIdx marks the end of an intrusive list.
const nilIdx int32 = -1

// node is one resting order in the slab; its price is its level's. Free
// nodes are chained via next.
type node struct {
	id      int64
	account int64
	qty     int64
	prev    int32
	next    int32
	level   int32
	side    Side
	stp     STPMode
}

// level is one price level: an intrusive FIFO of nodes. Free levels are
// chained via head.
type level struct {
	price int64
	qty   int64
	head  int32
	tail  int32
	count int32
	side  Side
}

// Book is the limit order book of one symbol. The zero value is not usable;
// call NewBook or NewBookSize.
type Book struct {
	nodes     []node
	freeNode  int32
	levels    []level
	freeLevel int32
	bids      ladder
	asks      ladder
	byPrice   levelIndex
	index     idIndex
}

// NewBook returns an empty book.
func NewBook() *Book {
	return NewBookSize(1024)
}

// NewBookSize returns an empty book with room for expectedOrders resting
// orders before any of its tables has to grow.
func NewBookSize(expectedOrders int) *Book {
	expectedOrders = max(expectedOrders, 16)
	return &Book{
		nodes:     make([]node, 0, expectedOrders),
		freeNode:  nilIdx,
		levels:    make([]level, 0, 64),
		freeLevel: nilIdx,
		bids:      ladder{keys: make([]int64, 0, 64), lvls: make([]int32, 0, 64)},
		asks:      ladder{keys: make([]int64, 0, 64), lvls: make([]int32, 0, 64)},
		byPrice:   newLevelIndex(64),
		index:     newIDIndex(expectedOrders),
	}
}

// Len returns the number of resting orders.
func (b *Book) Len() int {
	return b.index.count
}

// Get returns the resting order with the given id.
func (b *Book) Get(id int64) (Order, bool) {
	slot := b.index.get(id, b.nodes)
	if slot < 0 {
		return Order{}, false
	}
	return b.order(slot), true
}

// Cancel removes a resting order and returns what was left of it.
func (b *Book) Cancel(id int64) (Order, bool) {
	slot := b.index.get(id, b.nodes)
	if slot < 0 {
		return Order{}, false
	}
	o := b.order(slot)
	b.unlink(slot)
	return o, true
}

// Reduce takes by lots off a resting order without changing its place in
// the queue, and removes the order when nothing is left. It returns the order
// as it now stands (Quantity 0 when removed) and false when the id does not
// rest or by is not positive.
func (b *Book) Reduce(id, by int64) (Order, bool) {
	slot := b.index.get(id, b.nodes)
	if slot < 0 || by <= 0 {
		return Order{}, false
	}
	n := &b.nodes[slot]
	if by >= n.qty {
		o := b.order(slot)
		o.Quantity = 0
		b.unlink(slot)
		return o, true
	}
	n.qty -= by
	b.levels[n.level].qty -= by
	return b.order(slot), true
}

// Restore rests a GTC limit order without matching it, for rebuilding a book
// after a restart or seeding a replay. It fails when the order is invalid,
// its id already rests, or it would cross the other side.
func (b *Book) Restore(o Order) error {
	if !validate(&o) || o.Type != Limit || o.TIF != GTC {
		return fmt.Errorf("restore %d: %w", o.ID, ErrInvalidOrder)
	}
	if b.index.get(o.ID, b.nodes) >= 0 {
		return fmt.Errorf("restore %d: %w", o.ID, ErrDuplicateID)
	}
	if p, _, ok := b.Best(o.Side.Opposite()); ok && crosses(o.Side, o.Price, p) {
		return fmt.Errorf("restore %d at %d: %w", o.ID, o.Price, ErrWouldCross)
	}
	b.rest(&o)
	return nil
}

// Best returns the best price of a side and the lots resting there.
func (b *Book) Best(side Side) (price, qty int64, ok bool) {
	l := b.ladder(side)
	if l == nil || len(l.lvls) == 0 {
		return 0, 0, false
	}
	lv := &b.levels[l.lvls[len(l.lvls)-1]]
	return lv.price, lv.qty, true
}

// Depth appends up to levels aggregated price levels of a side to dst[:0],
// best first, and returns it.
func (b *Book) Depth(side Side, levels int, dst []Level) []Level {
	dst = dst[:0]
	l := b.ladder(side)
	if l == nil {
		return dst
	}
	for i := len(l.lvls) - 1; i >= 0 && len(dst) < levels; i-- {
		lv := &b.levels[l.lvls[i]]
		dst = append(dst, Level{Price: lv.price, Quantity: lv.qty, Orders: int(lv.count)})
	}
	return dst
}

// LevelOrders appends the orders resting at one price of a side to dst[:0]
// in queue order, first in line first, and returns it.
func (b *Book) LevelOrders(side Side, price int64, dst []Order) []Order {
	dst = dst[:0]
	l := b.ladder(side)
	if l == nil {
		return dst
	}
	idx := b.byPrice.get(sideKey(side, price))
	if idx < 0 {
		return dst
	}
	for i := b.levels[idx].head; i != nilIdx; i = b.nodes[i].next {
		dst = append(dst, b.order(i))
	}
	return dst
}

func (b *Book) ladder(side Side) *ladder {
	switch side {
	case Buy:
		return &b.bids
	case Sell:
		return &b.asks
	}
	return nil
}

// sideKey orders prices so that the best one sorts last.
func sideKey(side Side, price int64) int64 {
	if side == Buy {
		return price
	}
	return -price
}

// crosses reports whether an order of side at price can trade with a
// resting order at other.
func crosses(side Side, price, other int64) bool {
	if side == Buy {
		return price >= other
	}
	return price <= other
}

func (b *Book) order(slot int32) Order {
	n := &b.nodes[slot]
	return Order{
		ID:       n.id,
		Account:  n.account,
		Side:     n.side,
		Type:     Limit,
		TIF:      GTC,
		STP:      n.stp,
		Price:    b.levels[n.level].price,
		Quantity: n.qty,
	}
}

// rest appends o at the back of its price level.
func (b *Book) rest(o *Order) {
	lvIdx := b.levelFor(o.Side, o.Price)
	slot := b.allocNode()
	lv := &b.levels[lvIdx]
	n := &b.nodes[slot]
	*n = node{
		id:      o.ID,
		account: o.Account,
		qty:     o.Quantity,
		prev:    lv.tail,
		next:    nilIdx,
		level:   lvIdx,
		side:    o.Side,
		stp:     o.STP,
	}
	if lv.tail == nilIdx {
		lv.head = slot
	} else {
		b.nodes[lv.tail].next = slot
	}
	lv.tail = slot
	lv.qty += o.Quantity
	lv.count++
	b.index.put(o.ID, slot)
}

// levelFor returns the level of a price, creating it when missing.
func (b *Book) levelFor(side Side, price int64) int32 {
	key := sideKey(side, price)
	if idx := b.byPrice.get(key); idx >= 0 {
		return idx
	}
	l := b.ladder(side)
	pos, _ := l.search(key)
	idx := b.allocLevel()
	b.levels[idx] = level{price: price, head: nilIdx, tail: nilIdx, side: side}
	l.insert(pos, key, idx)
	b.byPrice.put(key, idx)
	return idx
}

// unlink removes a resting node from its level, the index and the slab.
func (b *Book) unlink(slot int32) {
	n := &b.nodes[slot]
	lvIdx := n.level
	lv := &b.levels[lvIdx]
	if n.prev == nilIdx {
		lv.head = n.next
	} else {
		b.nodes[n.prev].next = n.next
	}
	if n.next == nilIdx {
		lv.tail = n.prev
	} else {
		b.nodes[n.next].prev = n.prev
	}
	lv.qty -= n.qty
	lv.count--
	b.index.del(n.id, b.nodes)
	n.next = b.freeNode
	b.freeNode = slot
	if lv.count == 0 {
		b.dropLevel(lvIdx)
	}
}

// dropLevel removes an empty level from its ladder and frees it.
func (b *Book) dropLevel(idx int32) {
	lv := &b.levels[idx]
	l := b.ladder(lv.side)
	b.byPrice.del(sideKey(lv.side, lv.price))
	if last := len(l.lvls) - 1; l.lvls[last] == idx {
		l.remove(last)
	} else if pos, ok := l.search(sideKey(lv.side, lv.price)); ok {
		l.remove(pos)
	}
	lv.head = b.freeLevel
	b.freeLevel = idx
}

func (b *Book) allocNode() int32 {
	if b.freeNode != nilIdx {
		slot := b.freeNode
		b.freeNode = b.nodes[slot].next
		return slot
	}
	b.nodes = append(b.nodes, node{})
	return int32(len(b.nodes) - 1)
}

func (b *Book) allocLevel() int32 {
	if b.freeLevel != nilIdx {
		idx := b.freeLevel
		b.freeLevel = b.levels[idx].head
		return idx
	}
	b.levels = append(b.levels, level{})
	return int32(len(b.levels) - 1)
}
