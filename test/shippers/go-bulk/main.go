// go-bulk: a minimal log shipper on github.com/elastic/go-elasticsearch/v8's esutil.BulkIndexer, the way a Go service
// ships its logs to Elasticsearch. The shipper conformance suite (test/shippers/go-bulk.shipper.ts) drives it against
// the real `npm start` process.
//
// It reads lines from stdin and indexes each with the `create` action into -index. Why the retry loop lives here: the
// BulkIndexer reports a failed flush (connection refused while Bulwark restarts, 401 for a wrong key) through
// OnFailure and moves on, so a shipper that must not drop lines re-queues them itself. Each attempt rebuilds the client
// from -key-file, so an operator who fixes the key sees the backlog delivered. A 409 on `create` means the document
// is already stored (Bulwark's ids are deterministic), which counts as delivered, as it does for Filebeat.
//
// Output, one line each on stdout: "accepted <n>" when a line is acknowledged, "retry <status> <reason>" for a failed
// attempt, "done <accepted>" at the end.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/elastic/go-elasticsearch/v8"
	"github.com/elastic/go-elasticsearch/v8/esutil"
)

// flushStatus reads the HTTP status out of a failed flush's error ("flush: [401 Unauthorized] ..."): the
// BulkIndexer reports a whole-request failure per item with status 0 and the response only in the error text.
var flushStatus = regexp.MustCompile(`\[(\d{3}) `)

func newIndexer(url, keyFile, index string, onError func(error)) (esutil.BulkIndexer, error) {
	token, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, err
	}
	client, err := elasticsearch.NewClient(elasticsearch.Config{
		Addresses: []string{url},
		// Elasticsearch's encoded API key: base64("id:key"); Bulwark takes the key part as the token.
		APIKey:              base64.StdEncoding.EncodeToString([]byte("go-bulk:" + strings.TrimSpace(string(token)))),
		CompressRequestBody: true,
		MaxRetries:          2,
		RetryBackoff:        func(int) time.Duration { return 200 * time.Millisecond },
	})
	if err != nil {
		return nil, err
	}
	return esutil.NewBulkIndexer(esutil.BulkIndexerConfig{
		Client:        client,
		Index:         index,
		NumWorkers:    1,
		FlushBytes:    64 * 1024,
		FlushInterval: 200 * time.Millisecond,
		OnError:       func(_ context.Context, err error) { onError(err) },
	})
}

func main() {
	url := flag.String("url", "", "Bulwark's base URL")
	keyFile := flag.String("key-file", "", "file holding the ingest token (re-read on every attempt)")
	index := flag.String("index", "logs-kubernetes.container_logs-default", "target index")
	// A service logging over time rather than all at once, so the suite can stop Bulwark while the stream is under way.
	pace := flag.Duration("pace", 0, "pause after every 100 lines")
	flag.Parse()

	// Each document is built once, so a resend is byte-identical and Bulwark's content id deduplicates it.
	var docs [][]byte
	scanner := bufio.NewScanner(os.Stdin)
	for scanner.Scan() {
		doc, _ := json.Marshal(map[string]any{"@timestamp": time.Now().UTC().Format(time.RFC3339Nano), "message": scanner.Text()})
		docs = append(docs, doc)
	}
	var mu, printing sync.Mutex
	stdout := bufio.NewWriter(os.Stdout)
	say := func(format string, args ...any) {
		printing.Lock()
		fmt.Fprintf(stdout, format+"\n", args...)
		stdout.Flush()
		printing.Unlock()
	}

	pending := make([]int, len(docs))
	for i := range docs {
		pending[i] = i
	}
	accepted := 0
	for len(pending) > 0 {
		// The callbacks run on the indexer's worker: outcomes are printed as they come, failures kept for the next round.
		var again []int
		indexer, err := newIndexer(*url, *keyFile, *index, func(err error) { say("retry 0 %s", err) })
		if err != nil {
			say("retry 0 %s", err)
			time.Sleep(500 * time.Millisecond)
			continue
		}
		for n, i := range pending {
			if *pace > 0 && n > 0 && n%100 == 0 {
				time.Sleep(*pace)
			}
			i := i
			_ = indexer.Add(context.Background(), esutil.BulkIndexerItem{
				Action: "create",
				Body:   bytes.NewReader(docs[i]),
				OnSuccess: func(context.Context, esutil.BulkIndexerItem, esutil.BulkIndexerResponseItem) {
					mu.Lock()
					accepted++
					mu.Unlock()
					say("accepted %d", i)
				},
				OnFailure: func(_ context.Context, _ esutil.BulkIndexerItem, res esutil.BulkIndexerResponseItem, err error) {
					status, reason := res.Status, res.Error.Reason
					if err != nil {
						reason = err.Error()
						if m := flushStatus.FindStringSubmatch(reason); m != nil {
							status, _ = strconv.Atoi(m[1])
						}
					}
					if status == http.StatusConflict {
						mu.Lock()
						accepted++
						mu.Unlock()
						say("accepted %d", i)
						return
					}
					mu.Lock()
					again = append(again, i)
					mu.Unlock()
					say("retry %d %s", status, reason)
				},
			})
		}
		_ = indexer.Close(context.Background())
		mu.Lock()
		pending = again
		mu.Unlock()
		if len(pending) > 0 {
			time.Sleep(300 * time.Millisecond)
		}
	}
	say("done %d", accepted)
}
