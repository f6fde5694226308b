package broker

import (
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// stats counts messages stored and handed out, for GET_BROKER_RUNTIME_INFO.
// The hot paths only add to atomics; the once-a-second sample turns the
// counters into rates.
type stats struct {
	put atomic.Int64 // messages stored
	get atomic.Int64 // messages returned by pulls

	mu      sync.Mutex
	samples [statsWindow + 1]statsSample // ring, one per sample call
	next    int                          // index of the next sample to write
	filled  int                          // samples written, up to len(samples)
	// Totals at the start of today and of yesterday (local time), as
	// upstream reports them.
	day                        int // year*1000+yearday of the last sample
	putToday, getToday         int64
	putYesterday, getYesterday int64
	haveToday                  bool
}

// statsWindow is the longest rate window, in samples (one per second).
const statsWindow = 600

type statsSample struct {
	at       time.Time
	put, get int64
}

// sample records the counters at now. It is called about once a second.
func (s *stats) sample(now time.Time) {
	put, get := s.put.Load(), s.get.Load()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.samples[s.next] = statsSample{at: now, put: put, get: get}
	s.next = (s.next + 1) % len(s.samples)
	s.filled = min(s.filled+1, len(s.samples))
	day := now.Year()*1000 + now.YearDay()
	if !s.haveToday {
		s.day, s.putToday, s.getToday, s.haveToday = day, put, get, true
		return
	}
	if day != s.day {
		s.putYesterday, s.getYesterday = s.putToday, s.getToday
		s.day, s.putToday, s.getToday = day, put, get
	}
}

// rates returns the put and get rates (per second) over the last window
// samples, or over all samples when there are fewer.
func (s *stats) rates(window int) (put, get float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.filled < 2 {
		return 0, 0
	}
	n := min(window, s.filled-1)
	newest := s.samples[(s.next-1+len(s.samples))%len(s.samples)]
	oldest := s.samples[(s.next-1-n+2*len(s.samples))%len(s.samples)]
	secs := newest.at.Sub(oldest.at).Seconds()
	if secs <= 0 {
		return 0, 0
	}
	return float64(newest.put-oldest.put) / secs, float64(newest.get-oldest.get) / secs
}

// tpsTriple renders the 10 s, 60 s and 600 s rates as upstream does:
// three numbers separated by spaces.
func (s *stats) tpsTriple() (put, get string) {
	var p, g []byte
	for i, w := range []int{10, 60, 600} {
		pr, gr := s.rates(w)
		if i > 0 {
			p, g = append(p, ' '), append(g, ' ')
		}
		p = strconv.AppendFloat(p, pr, 'f', 2, 64)
		g = strconv.AppendFloat(g, gr, 'f', 2, 64)
	}
	return string(p), string(g)
}

// dayTotals returns the totals at the start of today and yesterday.
func (s *stats) dayTotals() (putToday, getToday, putYesterday, getYesterday int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.putToday, s.getToday, s.putYesterday, s.getYesterday
}
