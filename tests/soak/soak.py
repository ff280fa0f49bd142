#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
# The soak: guest create/destroy cycles on hvsim with random stub faults
# (device models that hang, garble or flood their QMP monitor among them),
# xenstored restarts and daemon kill -9s, in phases.  After each phase the
# host is left to settle and the invariants are checked from hvsim's own
# view; the daemon's descriptors and memory are compared between phases.
# Prints its figures; exits 1 on any violation.
#
#   soak.py --build DIR --tmp DIR [--cycles N] [--valgrind] [--seed N]
#           [--no-rss-check]  (for a sanitizer build: its memory grows)
import argparse, json, os, random, re, signal, socket, subprocess, sys, time

SAFE = re.compile(rb"[A-Za-z0-9._/:@=,+*?\[\]~-]")


def enc(word):
    if word == "":
        return "%"
    return "".join(chr(b) if SAFE.match(bytes([b])) else "%%%02X" % b
                   for b in word.encode())


class Hv:
    """A client of hvsim's control socket (tests/hvsim/PROTOCOL.md)."""

    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.connect(path)
        self.f = self.s.makefile("rb")

    def call(self, *words):
        self.s.sendall((" ".join(enc(w) for w in words) + "\n").encode())
        line = self.f.readline().decode().rstrip("\n")
        if line.startswith("ERR"):
            return False, line
        rest = line[3:]
        if words[0] in ("list", "hv-list"):
            n = int(rest)
            return True, [self.f.readline().decode().rstrip("\n")
                          for _ in range(n)]
        return True, rest

    def must(self, *words):
        ok, v = self.call(*words)
        if not ok:
            raise RuntimeError("hvsim %s: %s" % (" ".join(words), v))
        return v

    def domains(self):
        doms = []
        for line in self.must("list"):
            f = line.split()
            doms.append({"domid": int(f[0]), "name": f[1], "type": f[2],
                         "state": f[3],
                         "target": None if f[4] == "-" else int(f[4])})
        return doms


class Daemon:
    def __init__(self, a, policy):
        self.a, self.policy, self.proc, self.n = a, policy, None, 0
        self.log = os.path.join(a.tmp, "stubdmd.log")

    def start(self):
        before = self.count_started()
        cmd = [os.path.join(self.a.build, "stubdmd/stubdmd"), "-d", "-f",
               self.policy, "-S", os.path.join(self.a.tmp, "ctl.sock"),
               "--sim", os.path.join(self.a.tmp, "sim")]
        if self.a.valgrind:
            self.n += 1
            cmd = ["valgrind", "--leak-check=full", "--error-exitcode=99",
                   "--errors-for-leak-kinds=definite",
                   "--log-file=%s/valgrind.%d.log" % (self.a.tmp, self.n)
                   ] + cmd
        self.proc = subprocess.Popen(cmd, stdout=open(self.log, "ab"),
                                     stderr=subprocess.STDOUT)
        limit = time.time() + (120 if self.a.valgrind else 20)
        while self.count_started() <= before:
            if time.time() > limit or self.proc.poll() is not None:
                raise RuntimeError("stubdmd did not start")
            time.sleep(0.05)

    def count_started(self):
        try:
            with open(self.log, "rb") as f:
                return f.read().count(b"supervising")
        except FileNotFoundError:
            return 0

    def pid(self):
        """The daemon's own pid (valgrind's tool runs as the same pid)."""
        return self.proc.pid

    def kill9(self):
        self.proc.kill()
        self.proc.wait()

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=120)

    def qmp_fds(self):
        return self.stats().get("qmp_connections", 0)

    def vnc_files(self):
        # Each running guest's screen is one listening socket (stubdmd
        # vnc.c), there for as long as its file: not a leak.
        vnc = os.path.join(self.a.tmp, "vnc")
        return len(os.listdir(vnc)) if os.path.isdir(vnc) else 0

    def fd_kinds(self):
        """What the daemon's descriptors are, by kind (for a report)."""
        kinds = {}
        d = "/proc/%d/fd" % self.pid()
        for fd in os.listdir(d):
            try:
                k = re.sub(r"\[\d+\]$", "", os.readlink(os.path.join(d, fd)))
            except OSError:
                continue
            kinds[k] = kinds.get(k, 0) + 1
        return kinds

    def usage(self):
        pid = self.pid()
        # A probed device model's QMP connection (counted by the daemon,
        # Stats) and a running guest's screen (one file each) are held
        # while their stub runs, so both are subtracted.  A stub can still
        # be restarted after the host settled (a hung monitor is found by
        # its probes), so a sample counts only when neither count moved
        # around it and it agrees with the sample before.
        last = fds = None
        for _ in range(20):
            before = (self.qmp_fds(), self.vnc_files())
            time.sleep(0.2)     # the daemon closes that control connection
            n = len(os.listdir("/proc/%d/fd" % pid))
            after = (self.qmp_fds(), self.vnc_files())
            fds = n - sum(after)
            if after == before and fds == last:
                break
            last = fds if after == before else None
            time.sleep(0.1)
        kinds = self.fd_kinds()
        st = {}
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                k, _, v = line.partition(":")
                st[k] = v.strip()
        return (fds, int(st["VmRSS"].split()[0]), int(st["VmHWM"].split()[0]),
                kinds)

    def stats(self):
        out = subprocess.run(
            [os.path.join(self.a.build, "stubdmctl/stubdmctl"), "-S",
             os.path.join(self.a.tmp, "ctl.sock"), "--json", "stats"],
            capture_output=True, timeout=30)
        return json.loads(out.stdout) if out.returncode == 0 else {}


FAULTS = [  # (kind, args, weight)
    ("crash-after", lambda r: [str(r.randrange(0, 400))], 8),
    ("never-ready", lambda r: [], 4),
    ("build-fail", lambda r: [], 4),
    ("slow-boot", lambda r: [str(r.randrange(300, 900))], 3),
]
# What a running stub's QMP monitor turns into (hvsim's qmp verb), for a
# churned guest now and then: hung device models among the faults.
QMP_FAULTS = [("hang", 6), ("garbage", 2), ("flood", 2)]
QMP_EVERY = 10  # creations between two tries


class Soak:
    def __init__(self, a):
        self.a = a
        self.r = random.Random(a.seed)
        self.hv = Hv(os.path.join(a.tmp, "sim/ctl"))
        self.cycles = 0
        self.faults = {k: 0 for k, _, _ in FAULTS}
        self.faults.update({"qmp-" + k: 0 for k, _ in QMP_FAULTS})
        self.disruptions = {"xenstored-restart": 0, "daemon-kill9": 0}
        self.checks = 0
        self.violations = []
        self.serial = 0
        self.residents = {}     # name -> stub domid at the last check
        self.live = {}          # churned guest -> when it is destroyed
        self.stats = {}
        self.phases = []

    # --- the cycles
    def fault_for(self, name):
        if self.r.random() >= self.a.fault_rate:
            return
        kinds = [f for f in FAULTS for _ in range(f[2])]
        kind, args, _ = self.r.choice(kinds)
        count = self.r.choice([1, 1, 1, 2, 5])  # 5: past max_restarts
        self.hv.must("fault", name, kind, *args(self.r), "count=%d" % count)
        self.faults[kind] += 1

    def qmp_fault(self):
        """Turn the monitor of one churned guest's running stub bad."""
        doms = self.hv.domains()
        churned = {d["domid"]: d["name"] for d in doms
                   if d["type"] == "hvm" and d["name"] in self.live
                   and d["state"] == "running"}
        stubs = [d for d in doms if d["type"] == "pv"
                 and d["target"] in churned and d["state"] == "running"]
        if not stubs:
            return
        stub = self.r.choice(stubs)
        mode = self.r.choice([m for m, w in QMP_FAULTS for _ in range(w)])
        ok, _ = self.hv.call("qmp", str(stub["domid"]), mode)
        if ok:                      # ENOENT: its device model not up yet
            self.faults["qmp-" + mode] += 1
            # It lives long enough to be found hung (dm_probe_*).
            name = churned[stub["target"]]
            self.live[name] = max(self.live[name],
                                  time.time() + self.a.hang_life)

    def churn(self, n, faults, disrupt):
        """Create n guests, SLOTS live at a time, each destroyed after a
        random life; disrupt() half-way.  The guests still alive at the
        end stay for the check and go in the next phase."""
        started, t0 = 0, time.time()
        disrupted = disrupt is None
        while started < n:
            now = time.time()
            while started < n and len(self.live) < self.a.slots:
                self.serial += 1
                name = "c%d" % self.serial
                if faults:
                    self.fault_for(name)
                    if self.serial % QMP_EVERY == 0:
                        self.qmp_fault()
                ok, v = self.hv.call("create-hvm", name)
                if not ok:
                    raise RuntimeError("create-hvm %s: %s" % (name, v))
                self.live[name] = now + self.r.random() * self.a.life
                started += 1
            for name in [k for k, t in self.live.items() if t <= now]:
                self.destroy(name)
            if not disrupted and started >= n // 2:
                disrupt()
                disrupted = True
            time.sleep(0.005)
        return time.time() - t0

    def destroy(self, name):
        self.hv.call("destroy", name)   # ESRCH: the daemon gave up on it
        del self.live[name]
        self.cycles += 1

    # --- disruptions
    def restart_xenstored(self):
        self.hv.must("restart-xenstored", "300")
        self.disruptions["xenstored-restart"] += 1

    def add_stats(self):
        for k, v in self.daemon.stats().items():
            if isinstance(v, int):
                self.stats[k] = self.stats.get(k, 0) + v

    def kill_daemon(self):
        self.add_stats()
        self.daemon.kill9()
        self.disruptions["daemon-kill9"] += 1
        # Guests that go while it is down leave orphan stubs behind.
        for name in list(self.live)[:self.a.slots // 3]:
            self.destroy(name)
        time.sleep(0.3)
        self.daemon.start()

    # --- the invariants, from hvsim's view
    def settle(self):
        """Destroy guests that stopped; wait until the host is steady."""
        self.hv.must("fault", "clear")
        limit = time.time() + self.a.settle
        while True:
            doms = self.hv.domains()
            for d in doms:
                if (d["type"] == "hvm" and d["state"].startswith("shutdown")
                        and not d["name"].startswith("resident")):
                    self.hv.call("destroy", str(d["domid"]))
            bad = self.violations_now(self.hv.domains())
            if not bad:
                return True
            if time.time() > limit:
                return False
            time.sleep(0.2)

    def violations_now(self, doms):
        guests = {d["domid"]: d for d in doms
                  if d["type"] == "hvm" and d["state"] in ("running", "paused")}
        stubs = [d for d in doms if d["type"] == "pv" and d["domid"] != 0
                 and d["state"] != "dying"]
        bad = []
        per = {g: [] for g in guests}
        for s in stubs:
            if s["target"] not in guests:
                bad.append("stub %d (%s) for a dead guest %s" %
                           (s["domid"], s["name"], s["target"]))
            else:
                per[s["target"]].append(s)
        for g, ss in per.items():
            name = guests[g]["name"]
            if len(ss) != 1:
                bad.append("guest %d (%s) has %d stubs" % (g, name, len(ss)))
            elif ss[0]["name"] != name + "-dm":
                bad.append("guest %d (%s): stub named %s" %
                           (g, name, ss[0]["name"]))
            elif guests[g]["state"] != "running":
                bad.append("guest %d (%s) still %s" %
                           (g, name, guests[g]["state"]))
        return bad

    def check(self, phase):
        steady = self.settle()
        doms = self.hv.domains()
        bad = self.violations_now(doms)
        guests = [d for d in doms if d["type"] == "hvm"
                  and d["state"] in ("running", "paused")]
        self.checks += 2 * len(guests) + 1  # one stub each, well named; no orphan
        by_target = {d["target"]: d["domid"] for d in doms
                     if d["type"] == "pv" and d["state"] != "dying"}
        for g in guests:
            if g["name"].startswith("resident"):
                stub = by_target.get(g["domid"])
                old = self.residents.get(g["name"])
                self.checks += 1
                if old is not None and stub != old:
                    bad.append("resident %s: stub %s replaced by %s" %
                               (g["name"], old, stub))
                self.residents[g["name"]] = stub
        self.checks += 1
        if self.daemon.proc.poll() is not None:
            bad.append("stubdmd exited %d" % self.daemon.proc.returncode)
        if not steady and not bad:
            bad.append("the host did not settle")
        self.checks -= len(bad)
        self.violations += ["%s: %s" % (phase, b) for b in bad]
        fds, rss, hwm, kinds = self.daemon.usage()
        self.phases.append({"phase": phase, "pid": self.daemon.pid(),
                            "fds": fds, "rss": rss, "hwm": hwm,
                            "kinds": kinds,
                            "guests": len(guests), "bad": len(bad)})

    def growth(self):
        """Descriptors equal and memory flat between phases."""
        ph = self.phases[1:]    # the first phase warms the allocator up
        if len({p["fds"] for p in ph}) > 1:
            self.violations.append("daemon fds vary between phases: %s" %
                                   [p["fds"] for p in ph])
            for p in ph:            # what each phase held, to find the odd one
                self.violations.append("  %s: %s" % (p["phase"], ", ".join(
                    "%s x%d" % kv for kv in sorted(p["kinds"].items()))))
        self.checks += 1
        if not self.a.rss_check:    # a sanitizer's or valgrind's memory
            return
        for a, b in zip(ph, ph[1:]):
            self.checks += 1
            if a["pid"] == b["pid"] and b["rss"] > a["rss"] * 1.2 + 2048:
                self.violations.append(
                    "daemon RSS grew from %d to %d KiB (%s to %s)" %
                    (a["rss"], b["rss"], a["phase"], b["phase"]))

    def run(self, daemon):
        self.daemon = daemon
        for i in range(self.a.residents):
            self.hv.must("create-hvm", "resident%d" % i)
        per = self.a.cycles // 6
        plan = [("churn", False, None),
                ("faults", True, None),
                ("faults+xenstored-restart", True, self.restart_xenstored),
                ("faults+kill-9", True, self.kill_daemon),
                ("faults+xenstored-restart", True, self.restart_xenstored),
                ("faults+kill-9", True, self.kill_daemon)]
        if self.a.valgrind:     # leaks are only reported at a clean exit
            plan = [p for p in plan if p[2] != self.kill_daemon]
        for i, (name, faults, disrupt) in enumerate(plan):
            n = per if i < len(plan) - 1 else self.a.cycles - per * i
            secs = self.churn(n, faults, disrupt)
            self.check("%d:%s" % (i + 1, name))
            p = self.phases[-1]
            print("# phase %d %-26s %5d cycles %6.1f s  guests %d  fds %d  "
                  "rss %d KiB  violations %d" % (i + 1, name, n, secs,
                                                   p["guests"], p["fds"],
                                                   p["rss"], p["bad"]),
                  flush=True)
        for name in list(self.live):
            self.destroy(name)
        self.check("%d:teardown" % (len(plan) + 1))
        self.growth()
        self.add_stats()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--tmp", required=True)
    ap.add_argument("--cycles", type=int, default=10000)
    ap.add_argument("--slots", type=int, default=24)
    ap.add_argument("--life", type=float, default=0.8)
    ap.add_argument("--residents", type=int, default=8)
    ap.add_argument("--fault-rate", type=float, default=0.25)
    ap.add_argument("--settle", type=float, default=30)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--hang-life", type=float, default=3)
    ap.add_argument("--valgrind", action="store_true")
    ap.add_argument("--no-rss-check", dest="rss_check", action="store_false")
    a = ap.parse_args()
    if a.valgrind:
        a.rss_check = False
    if a.seed is None:
        a.seed = random.randrange(1 << 30)
    policy = os.path.join(a.tmp, "policy.ini")
    kernel = os.path.join(a.tmp, "kernel")
    open(kernel, "w").close()
    with open(policy, "w") as f:
        f.write("[global]\nreconcile_interval = 500ms\n"
                "state_path = /tool/stubdmd\n[defaults]\nkernel = %s\n"
                "ramdisk =\nmemory = 32\nbackoff_initial = 50ms\n"
                "backoff_max = 200ms\nstart_timeout = %s\n"
                "restart_window = 1m\nmax_restarts = 3\n"
                "on_giveup = destroy-guest\n"
                "dm_probe_interval = %s\ndm_probe_timeout = %s\n"
                "dm_probe_misses = 3\n" %
                ((kernel, "5s", "2s", "1s") if a.valgrind else
                 (kernel, "1s", "300ms", "200ms")))
    os.chmod(policy, 0o644)
    t0 = time.time()
    s = Soak(a)
    d = Daemon(a, policy)
    d.start()
    s.run(d)
    rc = d.stop()
    if rc != 0:
        s.violations.append("stubdmd exited %d on SIGTERM" % rc)
    if a.valgrind:
        for n in range(1, d.n + 1):
            log = open("%s/valgrind.%d.log" % (a.tmp, n)).read()
            m = re.search(r"ERROR SUMMARY: (\d+) errors", log)
            lost = re.search(r"definitely lost: ([\d,]+) bytes", log)
            s.checks += 1
            if m is None or m.group(1) != "0" or (lost and
                                                 lost.group(1) != "0"):
                s.violations.append("valgrind run %d: %s" % (
                    n, m.group(0) if m else "no summary"))
    nfaults = sum(s.faults.values())
    print("soak%s: seed %d, %.0f s" % (" (valgrind)" if a.valgrind else "",
                                       a.seed, time.time() - t0))
    print("  cycles:            %d guest create/destroy" % s.cycles)
    print("  faults injected:   %d (%s)" % (nfaults, ", ".join(
        "%s %d" % kv for kv in s.faults.items())))
    print("  disruptions:       %s" % ", ".join(
        "%s %d" % kv for kv in s.disruptions.items()))
    print("  daemon stats:      %s" % ", ".join(
        "%s %s" % (k, s.stats.get(k)) for k in
        ("spawns", "build_failures", "restarts", "giveups", "dm_deaths",
         "ready", "adopted", "orphans_destroyed", "dm_probes",
         "dm_probe_misses", "dm_hangs", "qmp_closed")))
    print("  invariant checks:  %d passed, %d violations" %
          (s.checks, len(s.violations)))
    print("  peak RSS:          %d KiB (VmHWM, largest of %d daemon "
          "processes)" % (max(p["hwm"] for p in s.phases),
                          len({p["pid"] for p in s.phases})))
    print("  fds per phase:     %s" % " ".join(str(p["fds"])
                                              for p in s.phases))
    print("  RSS KiB per phase: %s" % " ".join(str(p["rss"])
                                              for p in s.phases))
    for v in s.violations:
        print("  VIOLATION: %s" % v)
    return 1 if s.violations else 0


if __name__ == "__main__":
    sys.exit(main())
