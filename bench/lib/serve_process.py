"""`clipsharp serve` as a child process on a free 127.0.0.1 port, with its CPU and memory read from /proc.
Shared by bench/serve/run.py (the load test) and bench/hostile/run.py (the process-level bar)."""
import os, re, subprocess, threading


class ServeProcess:
    def __init__(self, cli, args, log=None):
        """Starts `dotnet CLI serve --port 0 ARGS`; stderr goes to the file LOG (or is kept for the error message)."""
        self.log = open(log, "w") if log else None
        self.p = subprocess.Popen(["dotnet", cli, "serve", "--port", "0", *args], stdout=subprocess.PIPE,
                                  stderr=self.log or subprocess.PIPE, text=True)
        line = self.p.stdout.readline()
        m = re.search(r"at (http://\S+)", line)
        if not m:
            self.p.kill()
            detail = f"see {log}" if log else self.p.stderr.read()
            raise RuntimeError(f"serve did not start: {line!r}; {detail}")
        self.url = m.group(1).rstrip("/")
        host, port = re.match(r"http://([^:/]+):(\d+)", self.url).groups()
        self.host, self.port = host, int(port)
        self.command = " ".join(["clipsharp", "serve", *args])
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self):
        for _ in self.p.stdout: pass

    def status(self, key):
        """A /proc/PID/status field in bytes (VmRSS, VmHWM, ...)."""
        for l in open(f"/proc/{self.p.pid}/status"):
            if l.startswith(key + ":"): return int(l.split()[1]) * 1024
        return 0

    def rss(self): return self.status("VmRSS")

    def cpu(self):
        """User + system CPU seconds so far."""
        f = open(f"/proc/{self.p.pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")

    def reset_peak(self):
        """Resets VmHWM to the current RSS."""
        with open(f"/proc/{self.p.pid}/clear_refs", "w") as f: f.write("5")

    def stop(self):
        self.p.terminate()
        try: self.p.wait(15)
        except subprocess.TimeoutExpired: self.p.kill()
        if self.log: self.log.close()
