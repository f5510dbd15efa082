#!/usr/bin/env python3
"""A stand-in for the Hugging Face hub's file endpoint, for HubDownloadTests (stdlib only).

    python3 hub_server.py ROOT

ROOT/<org>/<name>/<file> (or ROOT/<name>/<file>) are the repository files. Serves
  HEAD/GET /<repo>/resolve/<revision>/<file>
like the hub: every response carries X-Repo-Commit (ROOT/<repo>/COMMIT, else 40 zeros), small
files answer 200 with an ETag that is not a sha256, *.safetensors answer 302 to /cdn/<sha256>
with X-Linked-Etag (the sha256) and X-Linked-Size, and /cdn/<sha256> serves the bytes with
Range support (206 + Content-Range). Repository "openai-community/gpt2" is also reachable as
"gpt2" through a relative 307, as on the hub. Unknown repo/file: 404 with X-Error-Code.

ROOT/<repo>/BEHAVIOUR.json may hold per-file tweaks:
  {"model.safetensors": {"etag": "<advertise this sha256 instead>",
                         "drop_after": N, "drop_times": K}}   # close the connection after N body bytes, K times
Each request is appended to ROOT/requests.log as "METHOD PATH RANGE".
Prints the port on the first stdout line. Exits by itself after 120 s (a guard in case the
test that started it dies).
"""
import hashlib
import http.server
import json
import os
import sys
import threading
import urllib.parse

ROOT = sys.argv[1]
drops_done = {}
lock = threading.Lock()


def repo_dir(repo):
    path = os.path.normpath(os.path.join(ROOT, repo))
    return path if path.startswith(os.path.abspath(ROOT)) and os.path.isdir(path) else None


def behaviour(repo, name):
    path = os.path.join(ROOT, repo, "BEHAVIOUR.json")
    if not os.path.exists(path):
        return {}
    with open(path) as f:
        return json.load(f).get(name, {})


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def log_request_line(self):
        with lock, open(os.path.join(ROOT, "requests.log"), "a") as f:
            f.write(f"{self.command} {self.path} {self.headers.get('Range', '-')}\n")

    def do_HEAD(self):
        self.handle_any(send_body=False)

    def do_GET(self):
        self.handle_any(send_body=True)

    def fail(self, status, code, message):
        self.send_response(status)
        self.send_header("X-Error-Code", code)
        self.send_header("X-Error-Message", message)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def handle_any(self, send_body):
        self.log_request_line()
        path = urllib.parse.unquote(urllib.parse.urlparse(self.path).path)
        if path.startswith("/cdn/"):
            return self.serve_cdn(path[len("/cdn/"):], send_body)
        if "/resolve/" not in path:
            return self.fail(404, "RepoNotFound", "not a resolve URL")
        repo, rest = path[1:].split("/resolve/", 1)
        if repo == "gpt2":
            self.send_response(307)
            self.send_header("Location", self.path.replace("/gpt2/", "/openai-community/gpt2/", 1))
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        directory = repo_dir(repo)
        if directory is None:
            return self.fail(404, "RepoNotFound", f"repository {repo} not found")
        revision, name = rest.split("/", 1)
        commit_path = os.path.join(directory, "COMMIT")
        commit = open(commit_path).read().strip() if os.path.exists(commit_path) else "0" * 40
        if revision not in ("main", commit):
            return self.fail(404, "RevisionNotFound", f"revision {revision} not found")
        file_path = os.path.join(directory, name)
        if name in ("COMMIT", "BEHAVIOUR.json") or not os.path.isfile(file_path):
            return self.fail(404, "EntryNotFound", f"{name} not found in {repo}")
        data = open(file_path, "rb").read()
        tweak = behaviour(repo, name)
        if name.endswith(".safetensors"):
            sha = hashlib.sha256(data).hexdigest()
            cdn_dir = os.path.join(ROOT, ".cdn")
            os.makedirs(cdn_dir, exist_ok=True)
            with open(os.path.join(cdn_dir, sha), "wb") as f:
                f.write(data)
            with open(os.path.join(cdn_dir, sha + ".json"), "w") as f:
                json.dump({"repo": repo, "name": name}, f)
            self.send_response(302)
            self.send_header("X-Repo-Commit", commit)
            self.send_header("X-Linked-Etag", '"%s"' % tweak.get("etag", sha))
            self.send_header("X-Linked-Size", str(len(data)))
            self.send_header("ETag", '"not-the-blob-name"')
            self.send_header("Location", f"http://127.0.0.1:{self.server.server_port}/cdn/{sha}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("X-Repo-Commit", commit)
        self.send_header("ETag", '"%s"' % hashlib.sha1(data).hexdigest())
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if send_body:
            self.wfile.write(data)

    def serve_cdn(self, sha, send_body):
        path = os.path.join(ROOT, ".cdn", sha)
        if not os.path.isfile(path):
            return self.fail(404, "EntryNotFound", "no such blob")
        data = open(path, "rb").read()
        info = json.load(open(path + ".json"))
        tweak = behaviour(info["repo"], info["name"])
        start = 0
        status = 200
        header = self.headers.get("Range")
        if header and header.startswith("bytes=") and header.endswith("-"):
            start = int(header[len("bytes="):-1])
            if start >= len(data):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(data)}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            status = 206
        body = data[start:]
        self.send_response(status)
        self.send_header("ETag", '"%s"' % sha)
        self.send_header("Content-Length", str(len(body)))
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        self.end_headers()
        if not send_body:
            return
        key = (info["repo"], info["name"])
        with lock:
            drop = "drop_after" in tweak and drops_done.get(key, 0) < tweak.get("drop_times", 1)
            if drop:
                drops_done[key] = drops_done.get(key, 0) + 1
        if drop:
            self.wfile.write(body[: tweak["drop_after"]])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(2)
            return
        self.wfile.write(body)


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
threading.Timer(120, lambda: os._exit(0)).start()
print(server.server_port, flush=True)
server.serve_forever()
