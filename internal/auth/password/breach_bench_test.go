package password

import (
	"io"
	"os"
	"sync/atomic"
	"testing"
)

// countingReaderAt counts ReadAt calls and bytes, to show what a lookup costs.
type countingReaderAt struct {
	r     io.ReaderAt
	reads atomic.Int64
	bytes atomic.Int64
}

func (c *countingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	c.reads.Add(1)
	n, err := c.r.ReadAt(p, off)
	c.bytes.Add(int64(n))
	return n, err
}

// BenchmarkBreachLookup searches a generated file of one million lines
// (about 45 MB), alternating a present and an absent password, and reports
// disk reads and bytes read per lookup.
func BenchmarkBreachLookup(b *testing.B) {
	o := genOptions{lines: 1_000_000, known: knownBreached}
	path := writeBreachFile(b, b.TempDir(), genEntries(42, o), o)
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		b.Fatal(err)
	}

	counter := &countingReaderAt{r: f}
	bf, err := NewBreachFile(counter, st.Size(), 1)
	if err != nil {
		b.Fatal(err)
	}
	pws := []string{"hunter2", "correct horse battery staple"}
	counter.reads.Store(0)
	counter.bytes.Store(0)

	i := 0
	for b.Loop() {
		if _, _, err := bf.Breached(pws[i%2]); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(counter.reads.Load())/float64(i), "reads/op")
	b.ReportMetric(float64(counter.bytes.Load())/float64(i), "readbytes/op")
}
