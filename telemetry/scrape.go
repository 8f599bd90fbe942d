package telemetry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/kbench/kbench/results"
)

// maxScrape bounds the bytes read from one endpoint.
const maxScrape = 64 << 20

// Scrape reads the Prometheus endpoint at u into r (see Reading.Parse).
func (r Reading) Scrape(ctx context.Context, c *http.Client, u string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	// The classic text format, which every exporter serves.
	req.Header.Set("Accept", "text/plain;version=0.0.4")
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("scraping %s: %w", u, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("scraping %s: %s", u, resp.Status)
	}
	if err := r.Parse(io.LimitReader(resp.Body, maxScrape)); err != nil {
		return fmt.Errorf("scraping %s: %w", u, err)
	}
	return nil
}

// Scraper is a Source that scrapes Prometheus endpoints the user runs
// beside the brokers (the JMX exporter, node_exporter): the endpoints on
// one host are one broker's.
type Scraper struct {
	client *http.Client
	hosts  []scrapeHost
}

type scrapeHost struct {
	id   int32
	host string
	urls []string
}

var _ Source = (*Scraper)(nil)

// NewScraper checks urls (http or https, with a host) and groups them by
// host. A host is named after the broker of nodes listening on it, else
// numbered from 1 in the order given.
func NewScraper(urls []string, nodes []results.Node) (*Scraper, error) {
	s := &Scraper{client: &http.Client{}}
	byHost := map[string]int{}
	for _, raw := range urls {
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("broker metrics endpoint %q: want an http:// or https:// URL", raw)
		}
		h := u.Hostname()
		i, ok := byHost[h]
		if !ok {
			i = len(s.hosts)
			byHost[h] = i
			s.hosts = append(s.hosts, scrapeHost{id: int32(i + 1), host: h})
		}
		s.hosts[i].urls = append(s.hosts[i].urls, raw)
	}
	if len(s.hosts) == 0 {
		return nil, errors.New("broker metrics: no endpoint given")
	}
	for _, n := range nodes {
		if host, _, err := net.SplitHostPort(n.Address); err == nil {
			if i, ok := byHost[host]; ok {
				s.hosts[i].id = n.ID
			}
		}
	}
	return s, nil
}

// ReadMetrics scrapes every endpoint at once and returns a reading per
// host; an endpoint that fails leaves its error in the reading.
func (s *Scraper) ReadMetrics(ctx context.Context) []Reading {
	out := make([]Reading, len(s.hosts))
	var wg sync.WaitGroup
	for i, h := range s.hosts {
		wg.Go(func() {
			r := NewReading(h.id, time.Now())
			r.Host = h.host
			var errs []error
			for _, u := range h.urls {
				errs = append(errs, r.Scrape(ctx, s.client, u))
			}
			r.Err = errors.Join(errs...)
			out[i] = r
		})
	}
	wg.Wait()
	return out
}
