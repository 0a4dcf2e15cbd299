"""A minimal log shipper on an official Python client's bulk helper, as a Python service ships its logs.

Driven by the shipper conformance suite (test/shippers/python-clients.shipper.ts) against the real `npm start`.
`--client elasticsearch`: elasticsearch 8.x `helpers.streaming_bulk`, authenticated with an Elasticsearch API key
(`api_key=(id, key)`, sent as `ApiKey base64(id:key)`, the form Filebeat's `api_key: "id:key"` produces).
`--client opensearch`: opensearch-py's `helpers.streaming_bulk` with HTTP Basic auth (the token as the password).

Why the retry loop lives here: streaming_bulk retries only 429s; a refused connection (Bulwark restarting) or a 401
(a wrong key) comes back as failed items, and a shipper that must not drop lines sends those again. Each attempt
re-reads --key-file, so fixing the key delivers the backlog. A 409 on `create` means already stored (Bulwark's ids
are deterministic), which counts as delivered.

Prints one line per outcome: "accepted <n>", "retry <status> <reason>", and "done <accepted>" at the end.
"""
import argparse
import datetime
import sys
import time


def make_client(kind, url, token):
    if kind == "elasticsearch":
        from elasticsearch import Elasticsearch

        return Elasticsearch(url, api_key=("python-shipper", token), http_compress=True, max_retries=1, request_timeout=10)
    from opensearchpy import OpenSearch

    return OpenSearch(hosts=[url], http_auth=("opensearch-py", token), http_compress=True, max_retries=1, timeout=10)


def streaming_bulk(kind):
    if kind == "elasticsearch":
        from elasticsearch.helpers import streaming_bulk as helper
    else:
        from opensearchpy.helpers import streaming_bulk as helper
    return helper


def paced(actions, pace):
    for n, action in enumerate(actions):
        if pace and n and n % 100 == 0:
            time.sleep(pace)
        yield action


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--client", choices=["elasticsearch", "opensearch"], required=True)
    parser.add_argument("--url", required=True)
    parser.add_argument("--key-file", required=True)
    parser.add_argument("--index", default="logs-kubernetes.container_logs-default")
    # Seconds to wait after every 100 lines: a service logging over time rather than all at once, so the suite can
    # stop Bulwark while the stream is under way.
    parser.add_argument("--pace", type=float, default=0)
    args = parser.parse_args()

    # Each document is built once, so a resend is byte-identical and Bulwark's content id deduplicates it.
    now = datetime.datetime.now(datetime.timezone.utc).isoformat()
    docs = [{"@timestamp": now, "message": line.rstrip("\n")} for line in sys.stdin]
    helper = streaming_bulk(args.client)
    pending = list(range(len(docs)))
    accepted = 0
    while pending:
        with open(args.key_file) as f:
            token = f.read().strip()
        client = make_client(args.client, args.url, token)
        actions = paced(({"_op_type": "create", "_index": args.index, "_source": docs[i]} for i in pending), args.pace)
        again = []
        # max_retries=0: the helper then yields exactly one result per action, in order (its own 429 retries would
        # yield late), so results pair with `pending`; this loop does the retrying.
        results = helper(client, actions, chunk_size=100, max_retries=0, raise_on_error=False, raise_on_exception=False, yield_ok=True)
        done = 0
        try:
            for line, (ok, item) in zip(pending, results):
                done += 1
                result = next(iter(item.values()))
                status = result.get("status")
                if ok or status == 409:
                    accepted += 1
                    print(f"accepted {line}", flush=True)
                else:
                    again.append(line)
                    print(f"retry {status} {str(result.get('error') or result.get('exception'))[:200]}", flush=True)
        except Exception as err:  # noqa: BLE001 - a transport error (connection reset) escapes the helper
            # The chunk in flight and everything after it was not acknowledged: send it all again.
            again.extend(pending[done:])
            print(f"retry 0 {type(err).__name__}: {str(err)[:200]}", flush=True)
        client.close()
        pending = again
        if pending:
            time.sleep(0.3)
    print(f"done {accepted}", flush=True)


if __name__ == "__main__":
    main()
